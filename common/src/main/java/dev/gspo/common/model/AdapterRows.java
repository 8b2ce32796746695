package dev.gspo.common.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which rows of one forward pass use which adapter ({@link DecodeAdapter}), for a decode batch that mixes adapters:
 * the base projection runs once over every row, then each adapter group g adds its low-rank term to its own rows,
 *
 * <pre>
 *   y = x Wᵀ                                   every row, once
 *   y[rows of g] += (x[rows of g] Aᵀ) Bᵀ        per adapter group g (gather its rows, two thin matmuls, scatter back)
 *                                              the add runs inside the second matmul: addmm(y[rows of g], u, Bᵀ)
 * </pre>
 *
 * Rows without an adapter (the base model) get no term. A group that holds every row skips the gather and scatter.
 * No merged copy of the weights is made per adapter. Each row's result depends only on its own input and its own
 * adapter: the groups are disjoint, and within a group the rows are independent.
 */
public final class AdapterRows {
    private record Group(DecodeAdapter adapter, NDIndex rows) {}

    private final List<Group> groups;

    private AdapterRows(List<Group> groups) {
        this.groups = groups;
    }

    /**
     * The groups of a pass over {@code perRow.size()} rows; null when no row has an adapter (the plain base pass).
     *
     * @param perRow row i's adapter, null for the base model
     * @param manager where the row indices are created (the pass's scope)
     */
    public static AdapterRows of(List<DecodeAdapter> perRow, NDManager manager) {
        Map<DecodeAdapter, List<Integer>> byAdapter = new IdentityHashMap<>();
        List<DecodeAdapter> order = new ArrayList<>();
        for (int r = 0; r < perRow.size(); r++) {
            DecodeAdapter a = perRow.get(r);
            if (a != null) {
                byAdapter
                        .computeIfAbsent(a, k -> {
                            order.add(k);
                            return new ArrayList<>();
                        })
                        .add(r);
            }
        }
        if (order.isEmpty()) {
            return null;
        }
        List<Group> groups = new ArrayList<>(order.size());
        for (DecodeAdapter a : order) {
            List<Integer> rows = byAdapter.get(a);
            if (rows.size() == perRow.size()) {
                groups.add(new Group(a, null));
            } else {
                long[] idx = rows.stream().mapToLong(Integer::longValue).toArray();
                groups.add(new Group(a, new NDIndex("{}", manager.create(idx))));
            }
        }
        return new AdapterRows(List.copyOf(groups));
    }

    /** Adapter groups in this pass. */
    public int groups() {
        return groups.size();
    }

    /**
     * Adds each group's term of {@code part} in block {@code layer} to its rows of {@code y}.
     *
     * @param x the projection's input [N, T, in]
     * @param y the base projection's output [N, T, out], changed in place when a group covers only some rows
     * @return y with the terms added
     */
    NDArray add(NDArray y, NDArray x, int layer, DecodeAdapter.Part part) {
        Shape shape = y.getShape();
        long in = x.getShape().getLastDimension();
        long out = shape.getLastDimension();
        NDArray result = y;
        for (Group g : groups) {
            DecodeAdapter.Pair p = g.adapter().pair(layer, part);
            if (p == null) {
                continue;
            }
            if (g.rows() == null) { // every row: one addmm over the [N·T, out] view
                result = p.addTo(result.reshape(-1, out), x.reshape(-1, in)).reshape(shape);
            } else { // gather the group's rows (x and y), one addmm over them, scatter the sums back
                NDArray yRows = result.get(g.rows());
                Shape rowsShape = yRows.getShape();
                NDArray sum = p.addTo(yRows.reshape(-1, out), x.get(g.rows()).reshape(-1, in));
                result.set(g.rows(), sum.reshape(rowsShape));
            }
        }
        return result;
    }
}
