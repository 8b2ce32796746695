package dev.gspo.common.decode;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.gspo.common.model.AdapterRows;
import dev.gspo.common.model.AttentionBias;
import dev.gspo.common.model.Autograd;
import dev.gspo.common.model.DecodeAdapter;
import dev.gspo.common.model.DecodeWeights;
import dev.gspo.common.model.ExpertRouting;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.RowDecodeStep;
import dev.gspo.common.model.SlotKvCache;
import dev.gspo.common.model.Transformer;
import dev.gspo.common.model.VersionDecodeWeights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Continuous batching over one policy version: a set of rows decoding together, where a row that ends (EOS, stop
 * string, {@code maxNewTokens}) leaves at once and frees its slot, and new rows join between two decode steps after
 * their own prefill. The static path ({@link BatchGenerator}) instead runs a fixed set of rows until the longest ends.
 *
 * <pre>
 *   admit(rows):  the new rows' prompts, right-padded to T = max Lᵣ, run one forward pass [n, T] (causal mask with
 *                 padding); their keys/values fill slots [A, A + n) of a {@link SlotKvCache}; each row samples its
 *                 first token from the logits at its last prompt position Lᵣ − 1
 *   step():       every live row r feeds its last token at its own position lenᵣ (one token per row, [A, 1]);
 *                 attention over positions [0, max lenᵣ + 1) with key j visible to row r iff j ≤ lenᵣ (no mask when
 *                 all rows have the same length); each row samples its next token
 *   a row ending: its slot is refilled by the last live row (its cache rows copied), so live rows stay packed in
 *                 [0, A) and a step never computes a free slot
 * </pre>
 *
 * A row's positions, keys and sampling are its own (its RNG is seeded by its request alone), so what it produces does
 * not depend on which rows share the batch or when it joined, up to float rounding of batched matmuls: the same as
 * {@link BatchGenerator#generate}, and so the same as teacher forcing. Memory is bounded by {@code maxRows} slots of
 * {@code maxContext} positions ({@link SlotKvCache#boundBytes}); a row whose prompt plus {@code maxNewTokens} exceeds
 * the context is refused by {@link #check}.
 *
 * <p><b>Adapters.</b> Each row may decode with its own LoRA adapter ({@link Admission#adapter}, a
 * {@link DecodeAdapter}; null = the base model): rows of different adapters share the batch, the base projections run
 * once over every row and each adapter adds its low-rank term to its own rows ({@link AdapterRows}), in the prefill and
 * in every step. A row's adapter is fixed for its life.
 *
 * <p><b>One live row.</b> A step with a single live row on the base model runs in Java ({@link RowDecodeStep}: the
 * fused weights and the row's slot of the cache read in place, no native op), where that step applies (dense layers,
 * no LoRA on the model, CPU float32 weights); a row with its own adapter, a sparse model, or several rows step through
 * libtorch. The two agree up to float rounding (decode = teacher forcing within 1e-5).
 *
 * <p>The weights are read once (the fused {@link DecodeWeights} are built when the batch opens, or are the version's own,
 * {@link VersionDecodeWeights}): one batch serves one policy version, and weights must not change in place while it
 * is open. Not thread-safe: one decode thread drives it.
 *
 * @param <T> what the caller attaches to each row, handed back when the row ends
 */
public final class RunningBatch<T> implements AutoCloseable {

    /**
     * A row to admit, with the caller's tag and the LoRA adapter it decodes with (null: the base model). The caller
     * keeps the adapter open until the row has {@link Finished finished}.
     */
    public record Admission<T>(T tag, SequenceRequest request, DecodeAdapter adapter) {
        public Admission(T tag, SequenceRequest request) {
            this(tag, request, null);
        }
    }

    /** A row that ended, with its tag. */
    public record Finished<T>(T tag, Completion completion) {}

    private static final class Live<T> {
        final T tag;
        final SequenceState state;
        final DecodeAdapter adapter;
        int length; // positions in the cache: prompt + generated tokens already fed

        Live(T tag, SequenceState state, DecodeAdapter adapter, int length) {
            this.tag = tag;
            this.state = state;
            this.adapter = adapter;
            this.length = length;
        }
    }

    private final PolicyModel model;
    private final ModelConfig config;
    private final Transformer transformer;
    private final Set<Integer> eos;
    private final NDManager manager;
    private final SlotKvCache cache;
    private final DecodeWeights weights;
    private final int maxRows;
    private final int vocab;
    private final int sampleable;
    private final int pad;
    private final List<Live<T>> live = new ArrayList<>(); // index = slot
    private RowDecodeStep rowStep; // built at the first step with one live row ({@link #rowStep})
    private boolean rowStepBuilt;
    private long steps;
    private long admitted;

    /** A batch whose arrays live under the model's weights (as {@link BatchGenerator}'s do). */
    public RunningBatch(PolicyModel model, int maxRows, int maxContext) {
        this(model, maxRows, maxContext, model.weights().manager());
    }

    /**
     * @param maxRows    slots: rows decoding at once
     * @param maxContext positions per slot (prompt + new tokens), capped at the model's {@code max_position_embeddings}
     */
    public RunningBatch(PolicyModel model, int maxRows, int maxContext, NDManager parent) {
        this(model, maxRows, maxContext, parent, null);
    }

    /**
     * A batch that decodes with the version's own fused weights ({@link VersionDecodeWeights#get}) instead of building
     * its own when it opens: the caller keeps them open until this batch is closed (they are not freed with it).
     */
    public RunningBatch(PolicyModel model, int maxRows, int maxContext, DecodeWeights versionWeights) {
        this(model, maxRows, maxContext, model.weights().manager(), versionWeights);
    }

    private RunningBatch(
            PolicyModel model, int maxRows, int maxContext, NDManager parent, DecodeWeights versionWeights) {
        this.model = model;
        this.config = model.config();
        this.transformer = model.transformer();
        this.eos = new HashSet<>(config.eosTokenIds());
        this.eos.add(model.tokenizer().eosTokenId());
        this.maxRows = maxRows;
        this.vocab = config.vocabSize();
        this.sampleable = Math.min(vocab, model.tokenizer().vocabSize());
        this.pad = model.tokenizer().padTokenId();
        this.manager = parent.newSubManager();
        SlotKvCache c = null;
        try {
            c = new SlotKvCache(config, maxRows, Math.min(maxContext, config.maxPositionEmbeddings()), manager);
            this.weights = versionWeights != null ? versionWeights : transformer.decodeWeights(manager);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.cache = c;
    }

    public PolicyModel model() {
        return model;
    }

    /** Rows decoding now. */
    public int running() {
        return live.size();
    }

    public int freeSlots() {
        return maxRows - live.size();
    }

    public int maxRows() {
        return maxRows;
    }

    /** Positions per slot: the most a row's prompt plus {@code maxNewTokens} may take. */
    public int maxContext() {
        return cache.maxContext();
    }

    /** Decode steps run so far (prefills not counted). */
    public long steps() {
        return steps;
    }

    /** Rows admitted so far. */
    public long admitted() {
        return admitted;
    }

    /** Bytes the KV cache holds now (at most {@link SlotKvCache#boundBytes} for this batch's rows and context). */
    public long cacheBytes() {
        return cache.allocatedBytes();
    }

    /** @throws IllegalArgumentException naming the value, if this batch cannot decode the row */
    public void check(SequenceRequest r) {
        BatchGenerator.validate(r, config);
        int need = r.promptTokenIds().length + r.params().maxNewTokens();
        if (need > cache.maxContext()) {
            throw new IllegalArgumentException("prompt length " + r.promptTokenIds().length + " + maxNewTokens "
                    + r.params().maxNewTokens() + " = " + need + " exceeds the running batch's context of "
                    + cache.maxContext() + " positions");
        }
    }

    /**
     * Prefills the rows and samples their first token; they decode with the others from the next {@link #step}.
     *
     * @return the rows that ended at their first token (their slots are free again)
     * @throws IllegalStateException if there are fewer free slots than rows
     */
    public List<Finished<T>> admit(List<Admission<T>> rows) {
        if (rows.isEmpty()) {
            return List.of();
        }
        if (rows.size() > freeSlots()) {
            throw new IllegalStateException(
                    rows.size() + " rows to admit but only " + freeSlots() + " of " + maxRows + " slots are free");
        }
        int n = rows.size();
        int width = 0;
        int context = 0;
        for (Admission<T> a : rows) {
            check(a.request());
            width = Math.max(width, a.request().promptTokenIds().length);
            context = Math.max(
                    context,
                    a.request().promptTokenIds().length + a.request().params().maxNewTokens());
        }
        for (Live<T> l : live) {
            context = Math.max(
                    context,
                    l.state.request.promptTokenIds().length
                            + l.state.request.params().maxNewTokens());
        }
        Autograd.offForThisThread();
        int first = live.size();
        cache.ensure(first + n, context);
        long[] ids = new long[n * width];
        long[] positions = new long[n * width];
        int[] lengths = new int[n];
        long[] rowIndex = new long[n];
        long[] lastIndex = new long[n];
        float[] temperatures = new float[n];
        for (int r = 0; r < n; r++) {
            SequenceRequest q = rows.get(r).request();
            int[] prompt = q.promptTokenIds();
            for (int j = 0; j < width; j++) {
                ids[r * width + j] = j < prompt.length ? prompt[j] : pad;
                positions[r * width + j] = j;
            }
            lengths[r] = prompt.length;
            rowIndex[r] = r;
            lastIndex[r] = prompt.length - 1;
            temperatures[r] = q.params().logprobTemperature();
        }
        float[] logprobs;
        try (NDScope ignored = new NDScope()) {
            NDArray idArray = manager.create(ids, new Shape(n, width));
            NDArray positionArray = manager.create(positions, new Shape(n, width));
            NDArray bias = AttentionBias.rightPadded(manager, lengths, width);
            cache.forPrefill(first, n);
            AdapterRows adapters =
                    AdapterRows.of(rows.stream().map(Admission::adapter).toList(), manager);
            NDArray hidden = transformer.hidden(
                    idArray, positionArray, bias, cache, weights, ExpertRouting.FREE, adapters); // [n, T, d]
            NDArray last = hidden.get(new NDIndex("{}, {}", manager.create(rowIndex), manager.create(lastIndex)));
            logprobs = transformer
                    .logits(last)
                    .div(manager.create(temperatures, new Shape(n, 1)))
                    .logSoftmax(-1)
                    .toFloatArray();
        }
        for (int r = 0; r < n; r++) {
            Admission<T> a = rows.get(r);
            SequenceState state = new SequenceState(a.request(), eos, model.tokenizer());
            sample(state, logprobs, r);
            live.add(new Live<>(a.tag(), state, a.adapter(), lengths[r]));
        }
        admitted += n;
        return removeEnded();
    }

    /**
     * One decode step for every live row.
     *
     * @return the rows that ended at this step (their slots are free again)
     */
    public List<Finished<T>> step() {
        int a = live.size();
        if (a == 0) {
            return List.of();
        }
        Autograd.offForThisThread();
        long[] ids = new long[a];
        long[] positions = new long[a];
        float[] temperatures = new float[a];
        int window = 0;
        boolean uniform = true;
        for (int r = 0; r < a; r++) {
            Live<T> l = live.get(r);
            ids[r] = l.state.lastToken();
            positions[r] = l.length;
            temperatures[r] = l.state.request.params().logprobTemperature();
            window = Math.max(window, l.length + 1);
            uniform &= l.length == live.getFirst().length;
        }
        float[] logprobs;
        RowDecodeStep javaStep = a == 1 && live.getFirst().adapter == null ? rowStep() : null;
        if (javaStep != null) { // one live row on the base model: slot 0, its token at position length
            logprobs = javaStep.logprobs((int) ids[0], (int) positions[0], cache, 0, temperatures[0]);
        } else
            try (NDScope ignored = new NDScope()) {
                cache.forStep(manager, positions, window);
                NDArray idArray = manager.create(ids, new Shape(a, 1));
                NDArray positionArray = manager.create(positions, new Shape(a, 1));
                // all rows as long as each other see every key of the window: no mask to build or add
                NDArray bias = uniform ? null : stepBias(positions, window);
                AdapterRows adapters =
                        AdapterRows.of(live.stream().map(l -> l.adapter).toList(), manager);
                NDArray hidden =
                        transformer.hidden(idArray, positionArray, bias, cache, weights, ExpertRouting.FREE, adapters);
                logprobs = transformer
                        .logits(hidden.get(":, -1, :"))
                        .div(manager.create(temperatures, new Shape(a, 1)))
                        .logSoftmax(-1)
                        .toFloatArray();
            }
        steps++;
        for (int r = 0; r < a; r++) {
            Live<T> l = live.get(r);
            l.length++;
            sample(l.state, logprobs, r);
        }
        return removeEnded();
    }

    /** The Java one-row step over this batch's weights, built once; null where it does not apply (then libtorch). */
    private RowDecodeStep rowStep() {
        if (!rowStepBuilt) {
            rowStepBuilt = true;
            rowStep = RowDecodeStep.of(transformer, weights);
        }
        return rowStep;
    }

    /** [A, 1, 1, W]: row r sees key j iff j ≤ positions[r] (its own prompt and tokens, and the one fed now). */
    private NDArray stepBias(long[] positions, int window) {
        float[] bias = new float[positions.length * window];
        for (int r = 0; r < positions.length; r++) {
            for (int j = 0; j < window; j++) {
                bias[r * window + j] = j <= positions[r] ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(bias, new Shape(positions.length, 1, 1, window));
    }

    private void sample(SequenceState state, float[] logprobs, int row) {
        int token = TokenSampler.sample(logprobs, row * vocab, sampleable, state.request.params(), state.rng);
        state.accept(token, logprobs[row * vocab + token]);
    }

    /** Takes the ended rows out, refilling each freed slot with the last live row so that live rows stay packed. */
    private List<Finished<T>> removeEnded() {
        List<Finished<T>> ended = new ArrayList<>();
        try (NDScope ignored = new NDScope()) {
            for (int slot = live.size() - 1; slot >= 0; slot--) {
                Live<T> l = live.get(slot);
                if (!l.state.done()) {
                    continue;
                }
                ended.add(new Finished<>(l.tag, l.state.completion()));
                int last = live.size() - 1;
                Live<T> moved = live.remove(last);
                if (slot != last) {
                    cache.move(last, slot, moved.length);
                    live.set(slot, moved);
                }
            }
        }
        return ended.reversed();
    }

    /** Frees the cache and the fused weights it built (not a version's own); rows still live are dropped. */
    @Override
    public void close() {
        live.clear();
        manager.close();
    }
}
