package dev.gspo.common.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.gspo.common.model.AttentionBias;
import dev.gspo.common.model.ExpertRouting;
import dev.gspo.common.model.Transformer;
import dev.gspo.common.profile.StageTimer;
import dev.gspo.common.profile.TrainStage;
import java.util.List;

/**
 * The training-side path: log-probs of given response tokens under the model, in one forward pass over
 * prompt + response (teacher forcing), differentiable under DJL autograd.
 *
 * <pre>
 *   input_b  = prompt_b ++ response_b[0 .. |y_b| − 2]            (right-padded to the longest row)
 *   logp_b,t = log softmax(logits(h[|x_b| − 1 + t]) / T_b)[response_b[t]],   t = 0 .. |y_b| − 1
 * </pre>
 *
 * Only the hidden states that predict response tokens go through the final norm and the LM head, so long prompts
 * do not pay for a [B, T, V] projection. Arrays attach to {@code manager}; run inside an {@code NDScope} or a manager
 * the caller closes.
 */
public final class TeacherForcedScorer {
    private TeacherForcedScorer() {}

    /**
     * @param temperatures T_b for each row (the temperature the response was sampled at; 1 for greedy)
     */
    public static ResponseLogprobs score(
            Transformer model, NDManager manager, List<int[]> prompts, List<int[]> responses, float[] temperatures) {
        return score(model, manager, prompts, responses, temperatures, false);
    }

    /** As {@link #score(Transformer, NDManager, List, List, float[])}, optionally with per-token entropy. */
    public static ResponseLogprobs score(
            Transformer model,
            NDManager manager,
            List<int[]> prompts,
            List<int[]> responses,
            float[] temperatures,
            boolean withEntropy) {
        return score(model, manager, prompts, responses, temperatures, withEntropy, ExpertRouting.FREE);
    }

    /**
     * As {@link #score(Transformer, NDManager, List, List, float[], boolean)}, with {@code routing} seeing the experts
     * of every sparse layer. Its token index n is {@code row · width + position} over the input
     * {@code prompt ++ response[0 .. |y| − 2]} right-padded to {@code width} = {@link #inputWidth}.
     */
    public static ResponseLogprobs score(
            Transformer model,
            NDManager manager,
            List<int[]> prompts,
            List<int[]> responses,
            float[] temperatures,
            boolean withEntropy,
            ExpertRouting routing) {
        return score(model, manager, prompts, responses, temperatures, withEntropy, routing, StageTimer.NONE);
    }

    /**
     * As {@link #score(Transformer, NDManager, List, List, float[], boolean, ExpertRouting)}, telling {@code timer}
     * where each of its stages ends ({@link TrainStage#INPUTS}, {@link TrainStage#BLOCKS}, {@link TrainStage#HEAD},
     * {@link TrainStage#LOG_SOFTMAX}).
     */
    public static ResponseLogprobs score(
            Transformer model,
            NDManager manager,
            List<int[]> prompts,
            List<int[]> responses,
            float[] temperatures,
            boolean withEntropy,
            ExpertRouting routing,
            StageTimer timer) {
        int b = prompts.size();
        if (responses.size() != b || temperatures.length != b) {
            throw new IllegalArgumentException("prompts, responses and temperatures differ in count: " + b + ", "
                    + responses.size() + ", " + temperatures.length);
        }
        int vocab = model.config().vocabSize();
        int width = 1;
        int respWidth = 1;
        int[] lengths = new int[b];
        int[] inputLengths = new int[b];
        for (int i = 0; i < b; i++) {
            int p = prompts.get(i).length;
            int r = responses.get(i).length;
            if (p == 0 || r == 0) {
                throw new IllegalArgumentException("row " + i + ": prompt and response need at least one token");
            }
            lengths[i] = r;
            inputLengths[i] = p + r - 1;
            width = Math.max(width, inputLengths[i]);
            respWidth = Math.max(respWidth, r);
        }
        if (width > model.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException(
                    "prompt + response of " + (width + 1) + " tokens exceeds max_position_embeddings "
                            + model.config().maxPositionEmbeddings());
        }
        long[] ids = new long[b * width];
        long[] positions = new long[b * width];
        long[] gatherRows = new long[b * respWidth]; // flat index b·width + position predicting response token t
        long[] targets = new long[b * respWidth];
        float[] mask = new float[b * respWidth];
        for (int i = 0; i < b; i++) {
            int[] p = prompts.get(i);
            int[] r = responses.get(i);
            for (int j = 0; j < width; j++) {
                positions[i * width + j] = j;
                int token = j < p.length ? p[j] : (j - p.length < r.length - 1 ? r[j - p.length] : 0);
                checkToken(token, vocab, i);
                ids[i * width + j] = token;
            }
            for (int t = 0; t < respWidth; t++) {
                boolean real = t < r.length;
                gatherRows[i * respWidth + t] = (long) i * width + (real ? p.length - 1 + t : 0);
                targets[i * respWidth + t] = real ? r[t] : 0;
                mask[i * respWidth + t] = real ? 1f : 0f;
                if (real) {
                    checkToken(r[t], vocab, i);
                }
            }
        }
        NDArray idArray = manager.create(ids, new Shape(b, width));
        NDArray positionArray = manager.create(positions, new Shape(b, width));
        NDArray bias = AttentionBias.rightPadded(manager, inputLengths, width);
        timer.ended(TrainStage.INPUTS);
        NDArray hidden = model.hidden(idArray, positionArray, bias, null, null, routing); // [B, W, d]
        timer.ended(TrainStage.BLOCKS);
        NDArray flat = hidden.reshape(-1, hidden.getShape().get(2)); // [B·W, d]
        NDArray rowIndex = manager.create(gatherRows, new Shape(b, respWidth));
        NDArray picked = rowIndex.getNDArrayInternal()
                .embedding(rowIndex, flat, SparseFormat.DENSE)
                .singletonOrThrow(); // [B, R, d]
        NDArray logits = model.logits(picked); // [B, R, V]
        timer.ended(TrainStage.HEAD);
        // logits / 1 = logits exactly: at T = 1 everywhere (greedy, or sampled at 1) the [B, R, V] division and its
        // backward are skipped
        NDArray scaled = allOnes(temperatures) ? logits : logits.div(manager.create(temperatures, new Shape(b, 1, 1)));
        NDArray logp = scaled.logSoftmax(-1); // [B, R, V]
        NDArray target = manager.create(targets, new Shape(b, respWidth, 1));
        NDArray maskArray = manager.create(mask, new Shape(b, respWidth));
        NDArray chosen = logp.gather(target, -1).squeeze(-1).mul(maskArray); // [B, R]
        NDArray entropy = null;
        if (withEntropy) {
            NDArray detached = logp.stopGradient();
            entropy = detached.exp().muli(detached).sum(new int[] {-1}).neg().mul(maskArray);
        }
        timer.ended(TrainStage.LOG_SOFTMAX);
        return new ResponseLogprobs(chosen, maskArray, lengths, entropy);
    }

    /** The padded input width of a batch: the longest {@code |prompt| + |response| − 1} (at least 1). */
    public static int inputWidth(List<int[]> prompts, List<int[]> responses) {
        int width = 1;
        for (int i = 0; i < prompts.size(); i++) {
            width = Math.max(width, prompts.get(i).length + responses.get(i).length - 1);
        }
        return width;
    }

    private static boolean allOnes(float[] temperatures) {
        for (float t : temperatures) {
            if (t != 1f) {
                return false;
            }
        }
        return true;
    }

    private static void checkToken(int token, int vocab, int row) {
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException(
                    "row " + row + ": token id " + token + " is outside the vocabulary [0, " + vocab + ")");
        }
    }
}
