package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The float32 weights of one model, as DJL arrays owned by a manager of their own, keyed by Hugging Face name in the
 * architecture's order. Closing it frees the native memory.
 */
public final class PolicyWeights implements AutoCloseable {

    /**
     * One decoder block's arrays; biases and q/k norms are null where the architecture has none. A sparse (MoE) layer
     * has a {@code router} and {@code experts} and null {@code gate}/{@code up}/{@code down}; a dense layer the reverse
     * ({@code router} null, {@code experts} empty).
     */
    public record Layer(
            NDArray inputNorm,
            NDArray q,
            NDArray qBias,
            NDArray k,
            NDArray kBias,
            NDArray v,
            NDArray vBias,
            NDArray o,
            NDArray postNorm,
            NDArray gate,
            NDArray up,
            NDArray down,
            NDArray qNorm,
            NDArray kNorm,
            NDArray router,
            List<Expert> experts) {
        public boolean sparse() {
            return router != null;
        }
    }

    /** One expert of a sparse layer: a SwiGLU MLP of width {@code moe_intermediate_size}. */
    public record Expert(NDArray gate, NDArray up, NDArray down) {}

    private final NDManager manager;
    private final Map<String, NDArray> byName;
    private final List<Layer> layers;
    private final NDArray embedTokens;
    private final NDArray finalNorm;
    private final NDArray lmHead;
    /** Whether every array is one this class allocated itself, contiguous and F32: only such storage is refilled. */
    private final boolean refillable;

    private PolicyWeights(ModelConfig config, NDManager manager, Map<String, NDArray> byName) {
        this(config, manager, byName, false);
    }

    private PolicyWeights(ModelConfig config, NDManager manager, Map<String, NDArray> byName, boolean refillable) {
        this.manager = manager;
        this.refillable = refillable;
        this.byName = Collections.unmodifiableMap(byName);
        this.embedTokens = byName.get("model.embed_tokens.weight");
        this.finalNorm = byName.get("model.norm.weight");
        this.lmHead = config.tieWordEmbeddings() ? embedTokens : byName.get("lm_head.weight");
        List<Layer> ls = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            ls.add(new Layer(
                    byName.get(p + "input_layernorm.weight"),
                    byName.get(p + "self_attn.q_proj.weight"),
                    byName.get(p + "self_attn.q_proj.bias"),
                    byName.get(p + "self_attn.k_proj.weight"),
                    byName.get(p + "self_attn.k_proj.bias"),
                    byName.get(p + "self_attn.v_proj.weight"),
                    byName.get(p + "self_attn.v_proj.bias"),
                    byName.get(p + "self_attn.o_proj.weight"),
                    byName.get(p + "post_attention_layernorm.weight"),
                    byName.get(p + "mlp.gate_proj.weight"),
                    byName.get(p + "mlp.up_proj.weight"),
                    byName.get(p + "mlp.down_proj.weight"),
                    byName.get(p + "self_attn.q_norm.weight"),
                    byName.get(p + "self_attn.k_norm.weight"),
                    byName.get(p + "mlp.gate.weight"),
                    experts(config, byName, i)));
        }
        this.layers = List.copyOf(ls);
    }

    private static List<Expert> experts(ModelConfig config, Map<String, NDArray> byName, int layer) {
        if (!config.isSparseLayer(layer)) {
            return List.of();
        }
        List<Expert> out = new ArrayList<>();
        for (int e = 0; e < config.moe().numExperts(); e++) {
            String x = "model.layers." + layer + ".mlp.experts." + e + ".";
            out.add(new Expert(
                    byName.get(x + "gate_proj.weight"),
                    byName.get(x + "up_proj.weight"),
                    byName.get(x + "down_proj.weight")));
        }
        return List.copyOf(out);
    }

    /**
     * Builds weights from decoded tensors after checking them against the architecture: every expected tensor present,
     * with its exact shape; no tensor the model would silently ignore (rotary {@code inv_freq} buffers excepted).
     */
    public static PolicyWeights fromTensors(
            ModelConfig config, Map<String, Safetensors.Tensor> tensors, NDManager parent) {
        List<TensorSpec> specs = validate(config, tensors);
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (TensorSpec spec : specs) {
                Safetensors.Tensor t = tensors.get(spec.name());
                // create() may wrap its buffer without a copy
                byName.put(spec.name(), ownedCopy(manager.create(t.data(), new Shape(spec.shape())), spec.name()));
            }
            return new PolicyWeights(config, manager, byName);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Builds weights straight from a safetensors buffer, checked as {@link #fromTensors} checks (plus: every weight
     * F32, every value finite). Each weight's storage is allocated empty by libtorch and filled straight from the
     * buffer's little-endian bytes through a direct view of that storage ({@code toByteBuffer(true)}): no float[], no
     * staging buffer and no second native copy. Finiteness is checked in the same pass ({@link FiniteCopy}), so the
     * buffer is read once.
     *
     * @throws NonFiniteWeightsException if the buffer holds ±Infinity or NaN (the storage is freed)
     */
    public static PolicyWeights fromSafetensors(ModelConfig config, SafetensorsView view, NDManager parent) {
        return fromSafetensors(config, view, parent, null);
    }

    /**
     * As {@link #fromSafetensors(ModelConfig, SafetensorsView, NDManager)}, filling the native storage of {@code
     * retired} instead of allocating new storage when it fits: its pages are already resident, so the fill is a plain
     * copy with no first-touch page faults (a fresh 100 MB allocation faults in ~24 000 4 KB pages while it is
     * filled). It fits when {@code retired} was itself built here (storage this class allocated: contiguous F32 that
     * nothing else views), with the same names and shapes, and is still open. Its arrays then move to a new
     * sub-manager of {@code parent} and whatever else was left on its old manager is freed with it.
     *
     * <p>{@code retired} is handed over: the caller must hold the only reference to it and nothing may read it any
     * more (a replica passes a version only after its reference count reached zero). It becomes the result's storage,
     * or is closed when it does not fit or the fill fails; it must never be used or closed by the caller afterwards.
     * The one exception: a {@link NonFiniteWeightsException} thrown while refilling it hands it back ({@link
     * NonFiniteWeightsException#takeRetired}), open, still refillable, its contents overwritten in part.
     *
     * @param retired the weights of a version nothing uses any more, or null to allocate new storage
     * @throws NonFiniteWeightsException if the buffer holds ±Infinity or NaN: nothing is built; new storage is freed,
     *                                   refilled storage handed back with the exception
     */
    public static PolicyWeights fromSafetensors(
            ModelConfig config, SafetensorsView view, NDManager parent, PolicyWeights retired) {
        List<TensorSpec> specs;
        try {
            specs = validateShapes(config, view.shapes());
            for (TensorSpec spec : specs) {
                String dtype = view.entries().get(spec.name()).dtype();
                if (!dtype.equals("F32")) {
                    throw new InvalidModelException("tensor " + spec.name() + " has dtype " + dtype + "; expected F32");
                }
            }
        } catch (RuntimeException e) {
            if (retired != null) {
                retired.close();
            }
            throw e;
        }
        if (retired != null) {
            if (retired.fits(specs)) {
                return retired.refill(config, specs, view, parent);
            }
            retired.close();
        }
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> byName = new LinkedHashMap<>();
            for (TensorSpec spec : specs) {
                NDArray owned = manager.create(new Shape(spec.shape()), DataType.FLOAT32); // uninitialised
                owned.setName(spec.name());
                byName.put(spec.name(), owned);
            }
            NonFinite bad = fill(byName, view);
            if (bad != null) {
                throw bad.exception(null);
            }
            return new PolicyWeights(config, manager, byName, true);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Whether this storage can be refilled with weights of these names and shapes (in this order). */
    private boolean fits(List<TensorSpec> specs) {
        if (!refillable || !manager.isOpen() || byName.size() != specs.size()) {
            return false;
        }
        for (TensorSpec spec : specs) {
            NDArray a = byName.get(spec.name());
            if (a == null
                    || a.isReleased()
                    || a.getDataType() != DataType.FLOAT32
                    || !Arrays.equals(a.getShape().getShape(), spec.shape())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Fills this storage from {@code view} and hands it to a new set on a new sub-manager of {@code parent}. The
     * arrays move only once every value was found finite: until then this set stays whole, so a {@link
     * NonFiniteWeightsException} can hand it back.
     */
    private PolicyWeights refill(ModelConfig config, List<TensorSpec> specs, SafetensorsView view, NDManager parent) {
        NonFinite bad;
        try {
            bad = fill(byName, view);
        } catch (RuntimeException e) {
            close(); // half-filled storage that failed for another reason is not trusted again
            throw e;
        }
        if (bad != null) {
            throw bad.exception(this);
        }
        NDManager next = parent.newSubManager();
        try (NDManager old = manager) { // frees what else was left on it (nothing, normally)
            Map<String, NDArray> refilled = new LinkedHashMap<>();
            for (TensorSpec spec : specs) {
                NDArray a = byName.get(spec.name());
                a.attach(next);
                refilled.put(spec.name(), a);
            }
            return new PolicyWeights(config, next, refilled, true);
        } catch (RuntimeException e) {
            next.close();
            throw e;
        }
    }

    /** The first non-finite value of a buffer: which tensor, which flat index, what value. */
    private record NonFinite(String tensor, long index, float value) {
        NonFiniteWeightsException exception(PolicyWeights retired) {
            return new NonFiniteWeightsException(tensor, index, value, retired);
        }
    }

    /**
     * Copies every weight of {@code view} into the native storage of its array in {@code storage} (arrays this class
     * allocated, hence contiguous; the bits are kept, in the machine's order), checking each value as it is copied
     * ({@link FiniteCopy#copy}: one read of the buffer). Tensors go in the buffer's order; one the model ignores (a
     * rotary {@code inv_freq} buffer) is not copied but its values are checked as well when it is F32, so a buffer
     * with any non-finite value is refused, and the value named is the first in the buffer's tensor order, then flat
     * index order.
     *
     * @return the first non-finite value, or null if every value is finite; the fill stops at the tensor holding it
     */
    private static NonFinite fill(Map<String, NDArray> storage, SafetensorsView view) {
        MemorySegment body = MemorySegment.ofArray(view.buffer());
        for (SafetensorsView.Entry t : view.entries().values()) {
            NDArray target = storage.get(t.name());
            long first;
            if (target != null) {
                first = FiniteCopy.copy(body, t.offset(), nativeStorage(target, t.elementCount()), t.elementCount());
            } else if (t.dtype().equals("F32")) {
                first = FiniteCopy.firstNonFinite(body, t.offset(), t.elementCount());
            } else {
                continue;
            }
            if (first >= 0) {
                return new NonFinite(t.name(), first, FiniteCopy.valueAt(body, t.offset(), first));
            }
        }
        return null;
    }

    /** A writable view of the native storage of {@code target}, which must hold exactly {@code count} floats. */
    private static MemorySegment nativeStorage(NDArray target, long count) {
        ByteBuffer storage = target.toByteBuffer(true);
        if (!storage.isDirect() || storage.isReadOnly() || storage.capacity() != 4 * count) {
            // a copy instead of a view: writing into it would leave the weight uninitialised
            throw new IllegalStateException("no direct view of the native storage of " + target.getName() + " ("
                    + storage.capacity() + " bytes for " + count + " floats)");
        }
        return MemorySegment.ofBuffer(storage.clear());
    }

    /** The check of {@link #fromTensors} alone, for callers that must refuse bad weights before building anything. */
    public static List<TensorSpec> validate(ModelConfig config, Map<String, Safetensors.Tensor> tensors) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        tensors.forEach((name, t) -> shapes.put(name, t.shape()));
        return validateShapes(config, shapes);
    }

    /**
     * The check of {@link #fromTensors} on names and shapes alone: every expected tensor present, with its exact
     * shape; no tensor the model would silently ignore (rotary {@code inv_freq} buffers excepted).
     */
    public static List<TensorSpec> validateShapes(ModelConfig config, Map<String, long[]> shapes) {
        List<TensorSpec> specs = config.architecture().tensors(config);
        Set<String> expected = new TreeSet<>();
        List<String> problems = new ArrayList<>();
        for (TensorSpec spec : specs) {
            expected.add(spec.name());
            long[] shape = shapes.get(spec.name());
            if (shape == null) {
                problems.add("missing tensor " + spec.name() + " " + Arrays.toString(spec.shape()));
            } else if (!Arrays.equals(shape, spec.shape())) {
                problems.add("tensor " + spec.name() + " has shape " + Arrays.toString(shape) + ", expected "
                        + Arrays.toString(spec.shape()));
            }
        }
        for (String name : shapes.keySet()) {
            if (!expected.contains(name) && !name.endsWith("rotary_emb.inv_freq")) {
                problems.add("unexpected tensor " + name + " for model_type " + config.modelType()
                        + (config.tieWordEmbeddings() && name.equals("lm_head.weight") ? " with tied embeddings" : ""));
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidModelException(
                    problems.size() > 5
                            ? String.join("; ", problems.subList(0, 5)) + "; and " + (problems.size() - 5) + " more"
                            : String.join("; ", problems));
        }
        return specs;
    }

    /**
     * The most bytes the weights of one model may take as one safetensors body. The body is one Java array wherever it
     * is held whole (a replica's served version and its pushes, the optimizer's published and hashed versions,
     * checkpoint files as written), and the JVM's arrays stop a few elements short of {@link Integer#MAX_VALUE}: about
     * 536M float32 parameters.
     */
    public static final long MAX_SAFETENSORS_BYTES = Integer.MAX_VALUE - 8;

    /** The {@code __metadata__} of every weight body this project writes ({@link #toSafetensors}'s callers). */
    public static final Map<String, String> SAFETENSORS_METADATA = Map.of("format", "pt");

    /**
     * The exact length of {@link #toSafetensors} with {@link #SAFETENSORS_METADATA} for a model of this configuration,
     * from its architecture's tensor shapes alone: header + 4 · Σ elements.
     */
    public static long safetensorsLength(ModelConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long values = 0;
        for (TensorSpec spec : config.architecture().tensors(config)) {
            shapes.put(spec.name(), spec.shape());
            values += spec.elementCount();
        }
        return Safetensors.header(shapes, SAFETENSORS_METADATA).length + 4 * values;
    }

    /**
     * Refuses a configuration whose float32 weights would not fit in one safetensors body ({@link
     * #MAX_SAFETENSORS_BYTES}): checked when a model is loaded or created, before its weights are read or made, so that
     * a model too large is refused at once with the reason instead of failing when it is first served, published or
     * checkpointed.
     *
     * @throws InvalidModelException naming the model's size and the limit
     */
    public static void requireOneBody(ModelConfig config) {
        long length = safetensorsLength(config);
        if (length > MAX_SAFETENSORS_BYTES) {
            long parameters = config.architecture().tensors(config).stream()
                    .mapToLong(TensorSpec::elementCount)
                    .sum();
            throw new InvalidModelException(String.format(
                    Locale.ROOT,
                    "model_type %s with %,d parameters is too large: its float32 weights make a %,d-byte safetensors"
                            + " body, and gspo-java serves, publishes and checkpoints a model's weights as one body of"
                            + " at most %,d bytes (about 536M float32 parameters)",
                    config.modelType(),
                    parameters,
                    length,
                    MAX_SAFETENSORS_BYTES));
        }
    }

    /**
     * The weights as one safetensors buffer, in the architecture's order (what is published and saved). The buffer is
     * allocated once at its exact size and each weight is copied into it in bulk from native memory; the bytes are the
     * same as {@code Safetensors.toBytes(toTensors(), metadata)}.
     */
    public byte[] toSafetensors(Map<String, String> metadata) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long values = 0;
        for (Map.Entry<String, NDArray> e : byName.entrySet()) {
            shapes.put(e.getKey(), e.getValue().getShape().getShape());
            values += e.getValue().size();
        }
        byte[] header = Safetensors.header(shapes, metadata);
        long length = header.length + 4 * values;
        if (length > MAX_SAFETENSORS_BYTES) { // models are refused before this (requireOneBody): a guard, not a path
            throw new InvalidModelException("weights of " + length
                    + " bytes do not fit in one safetensors body of at most " + MAX_SAFETENSORS_BYTES + " bytes");
        }
        byte[] out = new byte[(int) length];
        System.arraycopy(header, 0, out, 0, header.length);
        FloatBuffer dst = ByteBuffer.wrap(out, header.length, out.length - header.length)
                .slice()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        for (NDArray a : byName.values()) {
            // toByteBuffer(true) is a view of the native storage: the put is the only copy (it swaps bytes only on a
            // big-endian machine). toByteBuffer() would first copy the whole array through the JVM heap.
            // A non-contiguous array would be viewed through a contiguous temporary: the scope closes it.
            try (NDScope ignored = new NDScope()) {
                dst.put(a.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer());
            }
        }
        return out;
    }

    /**
     * Weights over arrays that may belong to another set ({@link LoraWeights#mergeInto}): only the arrays attached to
     * {@code manager} are freed by {@link #close()}.
     */
    static PolicyWeights sharing(ModelConfig config, NDManager manager, Map<String, NDArray> byName) {
        return new PolicyWeights(config, manager, byName);
    }

    /** Copies every weight back to the JVM, in the architecture's order (for saving and publishing). */
    public List<Safetensors.Tensor> toTensors() {
        List<Safetensors.Tensor> out = new ArrayList<>(byName.size());
        byName.forEach(
                (name, a) -> out.add(Safetensors.Tensor.f32(name, a.getShape().getShape(), a.toFloatArray())));
        return out;
    }

    public NDArray get(String name) {
        NDArray a = byName.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no weight named " + name);
        }
        return a;
    }

    /** Name → array, in the architecture's order (these are the trainable parameters). */
    public Map<String, NDArray> byName() {
        return byName;
    }

    public Collection<NDArray> parameters() {
        return byName.values();
    }

    public long parameterCount() {
        return byName.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    public List<Layer> layers() {
        return layers;
    }

    public NDArray embedTokens() {
        return embedTokens;
    }

    public NDArray finalNorm() {
        return finalNorm;
    }

    /** The output projection: {@code lm_head.weight}, or the embedding matrix when embeddings are tied. */
    public NDArray lmHead() {
        return lmHead;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** A named copy of {@code wrapped} in storage of its own (libtorch's), closing the wrapper of Java memory. */
    private static NDArray ownedCopy(NDArray wrapped, String name) {
        try (wrapped) {
            NDArray owned = wrapped.duplicate();
            owned.setName(name);
            return owned;
        }
    }
}
