package dev.gspo.common.decode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.gspo.common.model.AttentionBias;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.KvCache;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.RowDecodeStep;
import dev.gspo.common.model.Transformer;
import dev.gspo.common.model.VersionDecodeWeights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Generates many sequences at once: prompts of different lengths are left-padded into one batch, prefilled in one
 * forward pass, then decoded one token per step for all rows together, with a {@link KvCache} so each step costs one
 * position per row instead of the whole prefix.
 *
 * <p>Each row has its own sampling parameters and RNG, so what a row produces does not depend on the rows it shares
 * a batch with (up to float rounding of batched matmuls). Each call runs the model's fused projections
 * ({@link DecodeWeights}, built from the current weights for the call, or the served version's own, built once:
 * {@link VersionDecodeWeights}), and a one-token step over rows without left
 * padding skips the attention mask. {@link #generateWithoutCache} recomputes the whole prefix
 * every step: the control the cached path is tested against, and the baseline of the benchmarks.
 *
 * <p><b>One row.</b> A cached call with a single request prefills in libtorch and then runs its one-token steps in
 * Java ({@link RowDecodeStep}: weights and KV cache read in place, no native op per step), where that step applies
 * (dense layers, no LoRA, CPU float32 weights, the fused path); elsewhere, and with {@link #withLibtorchSteps}, every
 * step runs through libtorch. One-row calls come from the optimizer's greedy evaluations when a chunk of examples has
 * one left ({@code HeldOutEvaluator}, 128 per chunk), and from {@code DecodeBatches} when a batch is one request of
 * one row (an in-process replica). The rollout-service's continuous batching ({@link RunningBatch}) runs the same
 * step whenever its batch is down to one live row on the base model.
 */
public final class BatchGenerator {
    private final PolicyModel model;
    private final Set<Integer> eos;
    private final boolean fused;
    private final DecodeWeights versionWeights;
    private final boolean javaSteps;

    /** Builds the fused decode weights at the start of each call (safe when the weights change in place between). */
    public BatchGenerator(PolicyModel model) {
        this(model, true);
    }

    /**
     * Decodes with the version's own fused weights ({@link VersionDecodeWeights#get}) instead of building them per
     * call: for a served version whose weights never change in place. The caller keeps them open across the calls.
     */
    public BatchGenerator(PolicyModel model, DecodeWeights versionWeights) {
        this(model, true, true, versionWeights);
    }

    private BatchGenerator(PolicyModel model, boolean fused) {
        this(model, fused, true, null);
    }

    private BatchGenerator(PolicyModel model, boolean fused, boolean endAtEos, DecodeWeights versionWeights) {
        this(model, fused, endAtEos, versionWeights, true);
    }

    private BatchGenerator(
            PolicyModel model, boolean fused, boolean endAtEos, DecodeWeights versionWeights, boolean javaSteps) {
        this.model = model;
        this.javaSteps = javaSteps;
        // config.json's eos_token_id(s), and the tokenizer's eos (config.json's first, else tokenizer_config.json's
        // eos_token): a model whose config.json names none still ends its responses at its EOS
        this.eos = new HashSet<>();
        if (endAtEos) {
            this.eos.addAll(model.config().eosTokenIds());
            this.eos.add(model.tokenizer().eosTokenId());
        }
        this.fused = fused;
        this.versionWeights = versionWeights;
    }

    /**
     * For benchmarks (vLLM's {@code ignore_eos}): rows end only at their {@code maxNewTokens} or a stop string, never at
     * the EOS token, so a cell of B rows × n tokens decodes exactly B·n tokens whatever the (random) weights sample.
     * {@code fused} false gives the control path of {@link #unfused}.
     */
    public static BatchGenerator ignoringEos(PolicyModel model, boolean fused) {
        return new BatchGenerator(model, fused, false, null);
    }

    /** As {@link #ignoringEos(PolicyModel, boolean)}, fused, with the version's own fused weights (kept open). */
    public static BatchGenerator ignoringEos(PolicyModel model, DecodeWeights versionWeights) {
        return new BatchGenerator(model, true, false, versionWeights);
    }

    /**
     * The control: separate q/k/v and gate/up projections and a mask on every step, as before the fused path. Same
     * samples up to float rounding; kept for the tests and the benchmark's before/after.
     */
    public static BatchGenerator unfused(PolicyModel model) {
        return new BatchGenerator(model, false);
    }

    /**
     * The same generator with every step through libtorch, also for one row (no {@link RowDecodeStep}): the control
     * of the tests and the benchmark's before/after.
     */
    public BatchGenerator withLibtorchSteps() {
        return new BatchGenerator(model, fused, !eos.isEmpty(), versionWeights, false); // eos empty: ignoringEos
    }

    public List<Completion> generate(List<SequenceRequest> requests) {
        return run(requests, true);
    }

    public List<Completion> generateWithoutCache(List<SequenceRequest> requests) {
        return run(requests, false);
    }

    private List<Completion> run(List<SequenceRequest> requests, boolean useCache) {
        if (requests.isEmpty()) {
            return List.of();
        }
        Autograd.offForThisThread(); // decoding never needs a graph, even when the weights are trainable
        ModelConfig config = model.config();
        Transformer transformer = model.transformer();
        int b = requests.size();
        int promptWidth = 0;
        int maxNew = 0;
        for (SequenceRequest r : requests) {
            validate(r, config);
            promptWidth = Math.max(promptWidth, r.promptTokenIds().length);
            maxNew = Math.max(maxNew, r.params().maxNewTokens());
        }
        int capacity = promptWidth + maxNew;
        int vocab = config.vocabSize();
        // HF checkpoints often pad vocab_size past the tokenizer's last id; those ids have no text, never sample them
        int sampleable = Math.min(vocab, model.tokenizer().vocabSize());
        int pad = model.tokenizer().padTokenId();
        boolean padded = false;
        SequenceState[] rows = new SequenceState[b];
        int[] padLeft = new int[b];
        float[] temperatures = new float[b];
        long[] allIds = new long[b * capacity]; // left-padded prompts, then generated tokens
        for (int i = 0; i < b; i++) {
            SequenceRequest r = requests.get(i);
            rows[i] = new SequenceState(r, eos, model.tokenizer());
            padLeft[i] = promptWidth - r.promptTokenIds().length;
            padded |= padLeft[i] > 0;
            temperatures[i] = r.params().logprobTemperature();
            for (int j = 0; j < capacity; j++) {
                allIds[i * capacity + j] = pad;
            }
            for (int j = 0; j < r.promptTokenIds().length; j++) {
                allIds[i * capacity + padLeft[i] + j] = r.promptTokenIds()[j];
            }
        }
        try (NDManager call = model.weights().manager().newSubManager();
                KvCache cache = useCache ? new KvCache(config, b, capacity, call) : null;
                DecodeWeights perCall = fused && versionWeights == null ? transformer.decodeWeights(call) : null) {
            DecodeWeights decodeWeights = versionWeights != null ? versionWeights : perCall;
            RowDecodeStep rowStep =
                    javaSteps && useCache && b == 1 ? RowDecodeStep.of(transformer, decodeWeights) : null;
            NDArray temperature = call.create(temperatures, new Shape(b, 1));
            int filled = 0; // positions of allIds already fed to the model (always == cache length when cached)
            int width = promptWidth;
            for (int step = 0; step < maxNew; step++) {
                int from = useCache ? filled : 0;
                int t = width - from;
                float[] logprobs;
                if (rowStep != null && step > 0) { // one row, one token at position `from` (no left padding)
                    logprobs = rowStep.logprobs((int) allIds[from], from, cache, 0, temperatures[0]);
                } else
                    try (NDScope ignored = new NDScope()) {
                        NDArray ids = call.create(slice(allIds, b, capacity, from, width), new Shape(b, t));
                        NDArray positions = call.create(positions(padLeft, from, t), new Shape(b, t));
                        // a one-token step over rows without left padding sees every key: no mask to build or add
                        NDArray bias = fused && useCache && step > 0 && !padded
                                ? null
                                : AttentionBias.leftPadded(call, padLeft, from, t);
                        NDArray hidden = transformer.hidden(ids, positions, bias, cache, decodeWeights);
                        NDArray last = hidden.get(":, -1, :");
                        logprobs = transformer
                                .logits(last)
                                .div(temperature)
                                .logSoftmax(-1)
                                .toFloatArray();
                    }
                filled = width;
                boolean anyActive = false;
                for (int i = 0; i < b; i++) {
                    SequenceState row = rows[i];
                    int token = pad;
                    if (!row.done()) {
                        token = TokenSampler.sample(logprobs, i * vocab, sampleable, row.request.params(), row.rng);
                        row.accept(token, logprobs[i * vocab + token]);
                        anyActive |= !row.done();
                    }
                    allIds[i * capacity + width] = token;
                }
                width++;
                if (!anyActive) {
                    break;
                }
            }
        }
        List<Completion> out = new ArrayList<>(b);
        for (SequenceState row : rows) {
            out.add(row.completion());
        }
        return out;
    }

    static void validate(SequenceRequest r, ModelConfig config) {
        int total = r.promptTokenIds().length + r.params().maxNewTokens();
        if (total > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt length " + r.promptTokenIds().length + " + maxNewTokens "
                    + r.params().maxNewTokens() + " exceeds max_position_embeddings " + config.maxPositionEmbeddings());
        }
        for (int id : r.promptTokenIds()) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException(
                        "token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private static long[] slice(long[] all, int b, int capacity, int from, int to) {
        int t = to - from;
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(all, i * capacity + from, out, i * t, t);
        }
        return out;
    }

    /** Rotary position of cache slot {@code from + j} in row i: slots before the row's first real token count as 0. */
    private static long[] positions(int[] padLeft, int from, int t) {
        long[] out = new long[padLeft.length * t];
        for (int i = 0; i < padLeft.length; i++) {
            for (int j = 0; j < t; j++) {
                out[i * t + j] = Math.max(0, from + j - padLeft[i]);
            }
        }
        return out;
    }
}
