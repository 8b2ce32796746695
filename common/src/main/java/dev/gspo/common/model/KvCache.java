package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.MemorySegment;

/**
 * Keys and values of every layer for a batch being decoded, preallocated to their final length so that a decode step
 * writes one slice in place instead of concatenating (which would copy the whole cache every step).
 *
 * <p>DJL has no KV cache of its own for hand-written blocks, hence this class. Layout per layer:
 * {@code [B, numKeyValueHeads, capacity, headDim]}; positions {@code [0, length)} are filled. {@link SlotKvCache} is
 * the continuous-batching variant, where every row has its own length.
 */
public sealed class KvCache implements AutoCloseable permits SlotKvCache {
    final NDManager manager;
    final NDArray[] keys;
    final NDArray[] values;
    private final int capacity;
    private int length;
    private MemorySegment[][] views; // per layer {keys, values}, made by views()

    public KvCache(ModelConfig config, int batch, int capacity, NDManager parent) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        int layers = config.numHiddenLayers();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(batch, config.numKeyValueHeads(), capacity, config.headDim());
        for (int i = 0; i < layers; i++) {
            keys[i] = manager.zeros(shape, DataType.FLOAT32);
            values[i] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    /** Number of positions already written. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes this step's keys and values ({@code [B, kvHeads, T, headDim]}) after the filled part and returns views of
     * everything filled so far, {@code [B, kvHeads, length + T, headDim]}. Call {@link #advance} once all layers ran.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        int t = Math.toIntExact(k.getShape().get(2));
        int end = length + t;
        if (end > capacity) {
            throw new IllegalStateException("KV cache full: " + end + " > capacity " + capacity);
        }
        NDIndex slot = new NDIndex(":, :, {}:{}", length, end);
        keys[layer].set(slot, k);
        values[layer].set(slot, v);
        NDIndex filled = new NDIndex(":, :, :{}", end);
        return new NDArray[] {keys[layer].get(filled), values[layer].get(filled)};
    }

    /**
     * In-place views of layer {@code layer}'s keys and values ({@code [rows, Hkv, capacity, hd]} float32, row-major),
     * made on first use and kept until the arrays are replaced ({@link #dropViews}): {@link RowDecodeStep} writes a
     * step's key and value and reads the filled positions through them, with no copy.
     */
    MemorySegment[] views(int layer) {
        if (views == null) {
            views = new MemorySegment[keys.length][];
        }
        if (views[layer] == null) {
            MemorySegment k = MatVec.view(keys[layer]);
            MemorySegment v = MatVec.view(values[layer]);
            if (k == null || v == null) {
                throw new IllegalStateException("the KV cache of layer " + layer + " has no in-place float32 view");
            }
            views[layer] = new MemorySegment[] {k, v};
        }
        return views[layer];
    }

    /** Forgets the views: the arrays were replaced (a grown {@link SlotKvCache}). */
    void dropViews() {
        views = null;
    }

    void advance(int steps) {
        length += steps;
    }

    @Override
    public void close() {
        manager.close();
    }
}
