package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Per-row KV-cache slots for continuous batching: every row has its own length, rows come and go between decode
 * steps, and the live rows are kept packed in slots {@code [0, rows)}.
 *
 * <pre>
 *   per layer, keys and values: [allocated rows, Hkv, allocated context, hd] float32
 *   slot r holds positions [0, len_r) of the sequence that occupies it (its prompt, then its generated tokens)
 *   bytes ≤ maxRows · maxContext · bytesPerPosition,   bytesPerPosition = layers · 2 · Hkv · hd · 4
 * </pre>
 *
 * The arrays start small and grow (doubling, up to {@code maxRows × maxContext}, the filled part copied) as rows and
 * longer sequences are admitted, so a replica serving short requests never holds the bound.
 *
 * <p>Two kinds of forward pass use it, chosen before each {@link Transformer#hidden} call:
 *
 * <ul>
 *   <li>{@link #forPrefill}: {@code n} new rows' prompts, right-padded to {@code T}, are written to slots
 *       {@code [first, first + n)}, positions {@code [0, T)}; the pass attends over its own {@code T} keys;
 *   <li>{@link #forStep}: one token per live row r, written at position {@code positions[r]} of slot r (one
 *       scatter per layer); the pass attends over positions {@code [0, window)} of slots {@code [0, rows)}, the
 *       caller's mask hiding what lies past each row's own length.
 * </ul>
 */
public final class SlotKvCache extends KvCache {
    private enum Mode {
        NONE,
        PREFILL,
        STEP
    }

    private final int maxRows;
    private final int maxContext;
    private final int kvHeads;
    private final int headDim;
    private int allocatedRows;
    private int allocatedContext;
    private Mode mode = Mode.NONE;
    private int first;
    private int count;
    private int window;
    private NDArray rowIndex;
    private NDArray positionIndex;

    public SlotKvCache(ModelConfig config, int maxRows, int maxContext, NDManager parent) {
        super(config, 1, 1, parent);
        if (maxRows < 1 || maxContext < 1) {
            throw new IllegalArgumentException(
                    "a slot cache needs at least one row and one position, got " + maxRows + " × " + maxContext);
        }
        this.maxRows = maxRows;
        this.maxContext = maxContext;
        this.kvHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.allocatedRows = 1;
        this.allocatedContext = 1;
    }

    /** Bytes the cache may ever hold: {@code maxRows · maxContext · layers · 2 · Hkv · hd · 4}. */
    public static long boundBytes(ModelConfig config, int maxRows, int maxContext) {
        return (long) maxRows * maxContext * bytesPerPosition(config);
    }

    /** Keys and values of one position of one row over all layers: {@code layers · 2 · Hkv · hd · 4} bytes. */
    public static long bytesPerPosition(ModelConfig config) {
        return (long) config.numHiddenLayers() * 2 * config.numKeyValueHeads() * config.headDim() * Float.BYTES;
    }

    /** Bytes allocated now. */
    public long allocatedBytes() {
        return (long) allocatedRows * allocatedContext * keys.length * 2 * kvHeads * headDim * Float.BYTES;
    }

    public int maxRows() {
        return maxRows;
    }

    public int maxContext() {
        return maxContext;
    }

    @Override
    public int capacity() {
        return allocatedContext;
    }

    /** Makes room for {@code rows} slots of {@code context} positions, keeping what is filled. */
    public void ensure(int rows, int context) {
        if (rows > maxRows || context > maxContext) {
            throw new IllegalArgumentException("a slot cache of " + maxRows + " rows × " + maxContext
                    + " positions cannot hold " + rows + " rows × " + context + " positions");
        }
        if (rows <= allocatedRows && context <= allocatedContext) {
            return;
        }
        int newRows = Math.min(maxRows, Math.max(rows, Math.max(allocatedRows, Math.min(2 * allocatedRows, maxRows))));
        int newContext = Math.min(
                maxContext, Math.max(context, Math.max(allocatedContext, Math.min(2 * allocatedContext, maxContext))));
        Shape shape = new Shape(newRows, kvHeads, newContext, headDim);
        NDIndex filled = new NDIndex(":{}, :, :{}", allocatedRows, allocatedContext);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = grown(keys[i], shape, filled);
            values[i] = grown(values[i], shape, filled);
        }
        allocatedRows = newRows;
        allocatedContext = newContext;
        dropViews();
    }

    private NDArray grown(NDArray old, Shape shape, NDIndex filled) {
        NDArray bigger = manager.zeros(shape, DataType.FLOAT32);
        NDScope.unregister(bigger); // lives as long as the cache, even when grown inside a caller's scope
        bigger.set(filled, old);
        old.close();
        return bigger;
    }

    /** The next forward pass prefills {@code n} rows into slots {@code [first, first + n)}. */
    public void forPrefill(int first, int n) {
        this.mode = Mode.PREFILL;
        this.first = first;
        this.count = n;
    }

    /**
     * The next forward pass is a decode step over slots {@code [0, positions.length)}, each row writing its token at
     * its own position and attending over {@code [0, window)}.
     */
    public void forStep(NDManager manager, long[] positions, int window) {
        int rows = positions.length;
        long[] slots = new long[rows];
        for (int r = 0; r < rows; r++) {
            slots[r] = r;
        }
        this.mode = Mode.STEP;
        this.count = rows;
        this.window = window;
        this.rowIndex = manager.create(slots);
        this.positionIndex = manager.create(positions);
    }

    @Override
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int t = Math.toIntExact(k.getShape().get(2));
        switch (mode) {
            case PREFILL -> {
                NDIndex slot = new NDIndex("{}:{}, :, :{}", first, first + count, t);
                keys[layer].set(slot, k);
                values[layer].set(slot, v);
                return new NDArray[] {k, v}; // a prefill attends over its own keys only
            }
            case STEP -> {
                NDIndex at = new NDIndex("{}, :, {}", rowIndex, positionIndex);
                keys[layer].set(at, k.squeeze(2));
                values[layer].set(at, v.squeeze(2));
                NDIndex live = new NDIndex(":{}, :, :{}", count, window);
                return new NDArray[] {keys[layer].get(live), values[layer].get(live)};
            }
            default -> throw new IllegalStateException("no prefill or step prepared for the slot cache");
        }
    }

    @Override
    void advance(int steps) {
        mode = Mode.NONE; // lengths are the caller's: each row has its own
        rowIndex = null;
        positionIndex = null;
    }

    /** Moves the first {@code length} positions of slot {@code from} to slot {@code to} (packing after a row left). */
    public void move(int from, int to, int length) {
        if (from == to || length == 0) {
            return;
        }
        NDIndex src = new NDIndex("{}, :, :{}", from, length);
        NDIndex dst = new NDIndex("{}, :, :{}", to, length);
        for (int i = 0; i < keys.length; i++) {
            keys[i].set(dst, keys[i].get(src));
            values[i].set(dst, values[i].get(src));
        }
    }
}
