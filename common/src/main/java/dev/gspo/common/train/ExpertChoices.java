package dev.gspo.common.train;

import dev.gspo.common.model.ExpertRouting;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The experts π_old routed each token of a rollout batch to, per sparse layer, recorded during the trainer's no-grad
 * recompute, and the routings that later π_θ forwards over minibatches of the same samples use:
 *
 * <ul>
 *   <li>{@link #observe}: π_θ routes freely; each (token, layer) whose top-k set differs from π_old's is counted;</li>
 *   <li>{@link #replay}: the same count, but π_θ is given π_old's experts (routing replay).</li>
 * </ul>
 *
 * Positions are those of the teacher-forced input {@code prompt ++ response[0 .. |y| − 2]} of each sample; the
 * right padding of a batch is neither recorded, nor replayed (it routes freely), nor counted. Dense models never call
 * the routings, so nothing is recorded and the change share is NaN.
 */
public final class ExpertChoices {
    private final int[] inputLengths;
    /** layer → sample → [inputLength · k] expert ids, each token's in descending router probability. */
    private final Map<Integer, int[][]> byLayer = new HashMap<>();

    private long changed;
    private long counted;

    ExpertChoices(List<PolicySample> samples) {
        inputLengths = new int[samples.size()];
        for (int i = 0; i < inputLengths.length; i++) {
            PolicySample s = samples.get(i);
            inputLengths[i] = s.promptTokenIds().length + s.responseTokenIds().length - 1;
        }
    }

    /** Records the choice of a forward over the samples {@code rows}, in that order, right-padded to {@code width}. */
    ExpertRouting recorder(List<Integer> rows, int width) {
        return (layer, chosen, tokens, k) -> {
            int[][] perSample = byLayer.computeIfAbsent(layer, l -> new int[inputLengths.length][]);
            for (int r = 0; r < rows.size(); r++) {
                int i = rows.get(r);
                perSample[i] = Arrays.copyOfRange(chosen, r * width * k, (r * width + inputLengths[i]) * k);
            }
            return chosen;
        };
    }

    /** π_θ routes freely over the samples {@code rows} (padded to {@code width}); changes are counted. */
    ExpertRouting observe(List<Integer> rows, int width) {
        return routing(rows, width, false);
    }

    /** π_θ is given π_old's experts over the samples {@code rows} (padded to {@code width}); changes are counted. */
    ExpertRouting replay(List<Integer> rows, int width) {
        return routing(rows, width, true);
    }

    private ExpertRouting routing(List<Integer> rows, int width, boolean replay) {
        return (layer, chosen, tokens, k) -> {
            int[][] old = byLayer.get(layer);
            if (old == null) {
                throw new IllegalStateException("no π_old routing recorded for layer " + layer);
            }
            int[] used = replay ? chosen.clone() : chosen;
            for (int r = 0; r < rows.size(); r++) {
                int[] recorded = old[rows.get(r)];
                int n = recorded.length / k;
                for (int t = 0; t < n; t++) {
                    int at = (r * width + t) * k;
                    if (!sameSet(chosen, at, recorded, t * k, k)) {
                        changed++;
                    }
                    counted++;
                    if (replay) {
                        System.arraycopy(recorded, t * k, used, at, k);
                    }
                }
            }
            return used;
        };
    }

    /**
     * Share of (token, sparse layer) pairs whose routed expert set under π_θ differed from π_old's, over every
     * forward observed since the last call, then reset; NaN when none was observed.
     */
    double takeChangeShare() {
        double share = counted == 0 ? Double.NaN : changed / (double) counted;
        changed = 0;
        counted = 0;
        return share;
    }

    private static boolean sameSet(int[] a, int from, int[] b, int bFrom, int k) {
        for (int i = 0; i < k; i++) {
            boolean found = false;
            for (int j = 0; j < k && !found; j++) {
                found = a[from + i] == b[bFrom + j];
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }
}
