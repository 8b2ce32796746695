package dev.gspo.rollout.weights;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.VersionDecodeWeights;
import dev.gspo.common.replica.ReferenceCount;
import dev.gspo.common.wire.PolicyInfo;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One policy version as served: the model, the exact safetensors bytes it was built from (served by
 * {@code GET /v1/policy/weights}, so they are never re-serialised per request) and their SHA-256.
 *
 * <p>Reference counted: the {@link PolicyRegistry} holds one reference while the version is current and every decode
 * batch holds one through a {@link PolicyLease}. The weights are closed when the last reference is released, so a
 * version that has been replaced is retired only after the batches that started on it have finished. What retiring
 * does with the model is the version's {@code retire} action: close it, or hand its storage on to be refilled by a
 * later push ({@code RetiredWeights}); either way it runs only after the last reference is gone. The version's fused
 * decode weights ({@link VersionDecodeWeights}) live exactly as long: built by the first batch that decodes on it, shared
 * by every later one, freed just before the retire action.
 */
public final class ServedPolicy {
    private static final ObjectMapper CONFIG_JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> CONFIG_MAP = new TypeReference<>() {};
    private final long version;
    private final PolicyModel model;
    private final byte[] safetensors;
    private final String sha256;
    private final PolicyInfo info;
    private final ReferenceCount references;
    private final byte[] baseSafetensors;
    private final String baseSha256;
    private final Consumer<PolicyModel> retire;
    private final VersionDecodeWeights decodeWeights;

    /** A version built from a full push: it is its own base. */
    ServedPolicy(long version, PolicyModel model, byte[] safetensors, String sha256, Instant loadedAt) {
        this(version, model, safetensors, sha256, loadedAt, PolicyModel::close);
    }

    /**
     * As {@link #ServedPolicy(long, PolicyModel, byte[], String, Instant)}, with what to do with the model once its
     * last reference is released ({@code retire}: it owns the model from then on).
     */
    ServedPolicy(
            long version,
            PolicyModel model,
            byte[] safetensors,
            String sha256,
            Instant loadedAt,
            Consumer<PolicyModel> retire) {
        this(version, model, safetensors, sha256, loadedAt, safetensors, sha256, null, retire);
    }

    /**
     * A version built from an adapter push: {@code safetensors} are the merged weights it serves, {@code base…} the
     * last full push it was merged onto (kept, by reference, for the next adapter).
     */
    ServedPolicy(
            long version,
            PolicyModel model,
            byte[] safetensors,
            String sha256,
            Instant loadedAt,
            byte[] baseSafetensors,
            String baseSha256,
            PolicyInfo.Adapter adapter) {
        this(version, model, safetensors, sha256, loadedAt, baseSafetensors, baseSha256, adapter, PolicyModel::close);
    }

    private ServedPolicy(
            long version,
            PolicyModel model,
            byte[] safetensors,
            String sha256,
            Instant loadedAt,
            byte[] baseSafetensors,
            String baseSha256,
            PolicyInfo.Adapter adapter,
            Consumer<PolicyModel> retire) {
        this.version = version;
        this.retire = retire;
        this.model = model;
        this.decodeWeights = new VersionDecodeWeights(model);
        this.references = new ReferenceCount("policy version " + version, this::retireModel);
        this.safetensors = safetensors;
        this.sha256 = sha256;
        this.baseSafetensors = baseSafetensors;
        this.baseSha256 = baseSha256;
        // computed now, while the weights are certainly open: a reader may hold this version after a later swap
        // retired it (GET /v1/policy, or the answer to the push that installed it while a newer push raced it)
        this.info = new PolicyInfo(
                version,
                sha256,
                model.config().modelType(),
                model.weights().parameterCount(),
                loadedAt.toString(),
                model.config().vocabSize(),
                CONFIG_JSON.convertValue(model.config().toJson(), CONFIG_MAP),
                baseSha256,
                adapter);
    }

    /** A version whose bytes are serialised from the model itself (the one loaded at start-up). */
    static ServedPolicy fromModel(long version, PolicyModel model) {
        byte[] bytes = model.weightsAsSafetensors();
        return new ServedPolicy(version, model, bytes, PolicyModel.sha256(bytes), Instant.now());
    }

    /** Takes a reference unless the version is already retired; returns whether it did. */
    boolean retain() {
        return references.retain();
    }

    /**
     * Drops a reference; the last one frees the version's fused decode weights and retires the model (frees its
     * weights or hands them on; the tokenizer is shared by all versions and stays).
     */
    void release() {
        references.release();
    }

    private void retireModel() {
        try {
            decodeWeights.close(); // before the storage can be handed on and refilled by a later push
        } finally {
            retire.accept(model);
        }
    }

    boolean retired() {
        return references.released();
    }

    public long version() {
        return version;
    }

    public PolicyModel model() {
        return model;
    }

    /**
     * This version's fused decode weights, built on the first call and freed when its last reference is released;
     * call only while holding a reference ({@link PolicyLease}).
     */
    DecodeWeights decodeWeights() {
        return decodeWeights.get();
    }

    /** The served safetensors bytes; shared, do not modify. */
    public byte[] safetensors() {
        return safetensors;
    }

    public String sha256() {
        return sha256;
    }

    /** The last full push this version is built on (its own bytes when no adapter is applied); shared, read only. */
    public byte[] baseSafetensors() {
        return baseSafetensors;
    }

    public String baseSha256() {
        return baseSha256;
    }

    /** What {@code GET /v1/policy} says of this version; valid after the version is retired too. */
    public PolicyInfo info() {
        return info;
    }
}
