package dev.gspo.rollout.config;

import dev.gspo.common.replica.DecodeBatches;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * {@code gspo.rollout.*}: where the policy comes from and the limits every request is held to. Every default is
 * documented in {@code rollout-service/README.md}.
 *
 * @param modelDir               a Hugging Face model directory; empty ⇒ the built-in default model, created with
 *                               {@code seed}
 * @param workDir                where the built-in model's files are written; empty ⇒ a temporary directory removed at
 *                               shutdown
 * @param pushToken              bearer token that {@code PUT /v1/policy} requires; empty ⇒ pushes are refused (403)
 * @param seed                   seed of the built-in model's initial weights
 * @param maxPromptsPerRequest   prompts in one rollout request
 * @param maxGroupSize           samples per prompt (G)
 * @param maxNewTokens           largest {@code sampling.maxNewTokens}
 * @param maxStopStrings         largest number of {@code sampling.stop} strings
 * @param maxBatchSequences      slots of the running batch: sequences decoded together (continuous batching: a
 *                               sequence that ends frees its slot for a waiting one at the next step); also the most
 *                               one request may ask for (prompts × groupSize)
 * @param maxContextTokens       positions per slot (prompt + maxNewTokens); 0 ⇒ the model's max_position_embeddings.
 *                               The KV cache grows with what requests need and never holds more than
 *                               maxBatchSequences × maxContextTokens × (layers · 2 · kvHeads · headDim · 4) bytes: for
 *                               the built-in model (3 layers, 2 kv heads of 24, 64 positions) 512 × 64 × 1,152 B =
 *                               36 MiB; for Qwen2-0.5B (24 layers, 2 kv heads of 64) 24,576 B per position, so 512
 *                               slots × 1,024 positions = 12 GiB (lower either key for a smaller bound)
 * @param reservedSlots          slots one request may never hold, kept for the others: a request runs at most
 *                               maxBatchSequences − reservedSlots rows at once (its other rows join as its own end), so
 *                               a request arriving while a large one runs starts at once on up to this many rows
 *                               instead of waiting for the large one's rows to end. 0 ⇒ one request may take every
 *                               slot (most throughput when it is alone)
 * @param maxQueuedSequences     sequences waiting for the decoder; a request that would exceed it gets 503
 * @param maxQueueWait           a request still waiting for the decoder after this long gets 503
 * @param requestTimeout         a request not answered after this long (queue + decode) gets 503
 * @param maxRequestBytes        body size of a rollout request (413 beyond)
 * @param maxWeightsBytes        body size of a weight push (413 beyond)
 * @param builtinModel           which built-in model to serve when {@code modelDir} is empty: {@code builtin} (the
 *                               tiny dense model) or {@code moe} (the small qwen3_moe model); must match the
 *                               optimizer's run config {@code model}, whose weights it will be sent
 * @param apiKey                 when set, every request but {@code /actuator/health/**} needs
 *                               {@code Authorization: Bearer <api-key>} (a weight push may carry the push token
 *                               instead); empty ⇒ the read endpoints and rollouts are open
 * @param maxAdapters            named LoRA adapters ({@code PUT /v1/adapters/{name}}) loaded at once; a push of a new
 *                               name beyond it is refused (409 too_many_adapters). Each holds its A and B matrices
 *                               (float32: rank · Σ (in + out) of its targets · 4 bytes per layer)
 */
@Validated
@ConfigurationProperties("gspo.rollout")
public record RolloutProperties(
        @DefaultValue("") String modelDir,
        @DefaultValue("") String workDir,
        @DefaultValue("") String pushToken,
        @DefaultValue("0") long seed,
        @DefaultValue("64") @Min(1) int maxPromptsPerRequest,
        @DefaultValue("64") @Min(1) int maxGroupSize,
        @DefaultValue("512") @Min(1) int maxNewTokens,
        @DefaultValue("16") @Min(0) int maxStopStrings,

        @DefaultValue("" + DecodeBatches.DEFAULT_MAX_SEQUENCES) @Min(1)
        int maxBatchSequences,

        @DefaultValue("0") @Min(0) int maxContextTokens,
        @DefaultValue("0") @Min(0) int reservedSlots,
        @DefaultValue("4096") @Min(1) int maxQueuedSequences,
        @DefaultValue("30s") @NotNull Duration maxQueueWait,
        @DefaultValue("120s") @NotNull Duration requestTimeout,
        @DefaultValue("1MB") @NotNull DataSize maxRequestBytes,
        @DefaultValue("1GB") @NotNull DataSize maxWeightsBytes,
        @DefaultValue("builtin") @NotNull String builtinModel,
        @DefaultValue("") String apiKey,
        @DefaultValue("8") @Min(0) int maxAdapters) {

    /** Java arrays hold at most this many bytes; a weight push is read into one. */
    public static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    public RolloutProperties {
        if (builtinModel != null && !builtinModel.equals("builtin") && !builtinModel.equals("moe")) {
            throw new IllegalArgumentException(
                    "gspo.rollout.builtin-model must be 'builtin' or 'moe', got '" + builtinModel + "'");
        }
        if (apiKey != null && !apiKey.isEmpty() && apiKey.equals(pushToken)) {
            throw new IllegalArgumentException("gspo.rollout.api-key must differ from gspo.rollout.push-token: whoever"
                    + " may read the replica could otherwise push weights to it");
        }
        if (maxQueuedSequences < maxBatchSequences) {
            throw new IllegalArgumentException("gspo.rollout.max-queued-sequences (" + maxQueuedSequences
                    + ") must be at least gspo.rollout.max-batch-sequences (" + maxBatchSequences + ")");
        }
        if (reservedSlots >= maxBatchSequences) {
            throw new IllegalArgumentException("gspo.rollout.reserved-slots (" + reservedSlots
                    + ") must be less than gspo.rollout.max-batch-sequences (" + maxBatchSequences + ")");
        }
        if (maxQueueWait != null && (maxQueueWait.isNegative() || maxQueueWait.isZero())) {
            throw new IllegalArgumentException("gspo.rollout.max-queue-wait must be positive, got " + maxQueueWait);
        }
        if (requestTimeout != null && maxQueueWait != null && requestTimeout.compareTo(maxQueueWait) < 0) {
            throw new IllegalArgumentException("gspo.rollout.request-timeout (" + requestTimeout
                    + ") must be at least gspo.rollout.max-queue-wait (" + maxQueueWait + ")");
        }
        for (var limit : Map.of("max-request-bytes", maxRequestBytes, "max-weights-bytes", maxWeightsBytes)
                .entrySet()) {
            DataSize size = limit.getValue();
            if (size != null && (size.toBytes() < 1 || size.toBytes() > MAX_ARRAY_BYTES)) {
                throw new IllegalArgumentException("gspo.rollout." + limit.getKey() + " must be between 1 byte and "
                        + MAX_ARRAY_BYTES + " bytes, got " + size);
            }
        }
    }

    public boolean usesBuiltinModel() {
        return modelDir.isBlank();
    }

    public boolean pushesEnabled() {
        return !pushToken.isEmpty();
    }

    public boolean apiKeyRequired() {
        return !apiKey.isEmpty();
    }

    /** Never prints the push token or the API key. */
    @Override
    public String toString() {
        return "RolloutProperties[modelDir=" + modelDir + ", workDir=" + workDir + ", pushToken="
                + (pushesEnabled() ? "(set)" : "(unset)") + ", seed=" + seed + ", maxPromptsPerRequest="
                + maxPromptsPerRequest + ", maxGroupSize=" + maxGroupSize + ", maxNewTokens=" + maxNewTokens
                + ", maxStopStrings=" + maxStopStrings + ", maxBatchSequences=" + maxBatchSequences
                + ", maxContextTokens=" + maxContextTokens + ", reservedSlots=" + reservedSlots
                + ", maxQueuedSequences=" + maxQueuedSequences + ", maxQueueWait=" + maxQueueWait
                + ", requestTimeout=" + requestTimeout + ", maxRequestBytes=" + maxRequestBytes
                + ", maxWeightsBytes=" + maxWeightsBytes + ", builtinModel=" + builtinModel + ", apiKey="
                + (apiKeyRequired() ? "(set)" : "(unset)") + ", maxAdapters=" + maxAdapters + "]";
    }
}
