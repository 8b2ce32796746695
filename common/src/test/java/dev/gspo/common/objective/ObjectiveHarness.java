package dev.gspo.common.objective;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Arrays;

/**
 * Test fixture: builds a {@link PolicyBatch} from plain Java arrays, runs {@link PolicyObjective}
 * under a {@link GradientCollector} and hands back the loss, the gradient wrt the new log-probs
 * and the diagnostics as plain numbers.
 */
final class ObjectiveHarness {

    /** Inputs as host arrays; advantages either per sequence ({@code seqAdv}) or per token. */
    record Inputs(
            float[][] newLp,
            float[][] oldLp,
            float[][] mask,
            float[] seqAdv,
            float[][] tokAdv,
            float[][] refLp,
            float[][] entropy,
            double zeroVarianceShare) {

        static Inputs of(float[][] newLp, float[][] oldLp, float[][] mask, float[] seqAdv) {
            return new Inputs(newLp, oldLp, mask, seqAdv, null, null, null, Double.NaN);
        }

        static Inputs ofTokenAdvantages(float[][] newLp, float[][] oldLp, float[][] mask, float[][] tokAdv) {
            return new Inputs(newLp, oldLp, mask, null, tokAdv, null, null, Double.NaN);
        }

        Inputs withRef(float[][] ref) {
            return new Inputs(newLp, oldLp, mask, seqAdv, tokAdv, ref, entropy, zeroVarianceShare);
        }

        Inputs withEntropy(float[][] e) {
            return new Inputs(newLp, oldLp, mask, seqAdv, tokAdv, refLp, e, zeroVarianceShare);
        }

        Inputs withNew(float[][] n) {
            return new Inputs(n, oldLp, mask, seqAdv, tokAdv, refLp, entropy, zeroVarianceShare);
        }

        Inputs withOld(float[][] o) {
            return new Inputs(newLp, o, mask, seqAdv, tokAdv, refLp, entropy, zeroVarianceShare);
        }

        Inputs withTokenAdvantages(float[][] a) {
            return new Inputs(newLp, oldLp, mask, null, a, refLp, entropy, zeroVarianceShare);
        }

        Inputs withZeroVarianceShare(double share) {
            return new Inputs(newLp, oldLp, mask, seqAdv, tokAdv, refLp, entropy, share);
        }
    }

    /** Loss value, d loss / d newLogprobs as [B][T], diagnostics. */
    record Outcome(double loss, float[][] grad, LossDiagnostics diagnostics) {}

    /** The same in float64: every input widened to float64 before the objective sees it. */
    record Outcome64(double loss, double[][] grad, LossDiagnostics diagnostics) {}

    private ObjectiveHarness() {}

    static Outcome run(ObjectiveConfig config, Inputs in) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray newLp = create(m, in.newLp());
            PolicyBatch batch = new PolicyBatch(
                    newLp,
                    create(m, in.oldLp()),
                    create(m, in.mask()),
                    in.seqAdv() != null ? create(m, in.seqAdv()) : create(m, in.tokAdv()),
                    in.refLp() == null ? null : create(m, in.refLp()),
                    in.entropy() == null ? null : create(m, in.entropy()),
                    in.zeroVarianceShare());
            double loss;
            LossDiagnostics diagnostics;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                newLp.setRequiresGradient(true);
                ObjectiveResult r = new PolicyObjective(config).compute(batch);
                gc.backward(r.loss());
                loss = r.loss().getFloat();
                diagnostics = r.diagnostics();
            }
            return new Outcome(loss, reshape(newLp.getGradient().toFloatArray(), in.newLp().length), diagnostics);
        }
    }

    /** Runs the objective with every input in float64 (the working dtype follows {@code newLogprobs}). */
    static Outcome64 runFloat64(ObjectiveConfig config, Inputs in) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray newLp = create64(m, in.newLp());
            PolicyBatch batch = new PolicyBatch(
                    newLp,
                    create64(m, in.oldLp()),
                    create64(m, in.mask()),
                    in.seqAdv() != null
                            ? create(m, in.seqAdv()).toType(DataType.FLOAT64, false)
                            : create64(m, in.tokAdv()),
                    in.refLp() == null ? null : create64(m, in.refLp()),
                    in.entropy() == null ? null : create64(m, in.entropy()),
                    in.zeroVarianceShare());
            double loss;
            LossDiagnostics diagnostics;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                newLp.setRequiresGradient(true);
                ObjectiveResult r = new PolicyObjective(config).compute(batch);
                assertFloat64(r.loss());
                gc.backward(r.loss());
                loss = r.loss().getDouble();
                diagnostics = r.diagnostics();
            }
            NDArray grad = newLp.getGradient();
            assertFloat64(grad);
            double[] flat = grad.toDoubleArray();
            int rows = in.newLp().length;
            int cols = flat.length / rows;
            double[][] g = new double[rows][];
            for (int i = 0; i < rows; i++) {
                g[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
            }
            return new Outcome64(loss, g, diagnostics);
        }
    }

    private static void assertFloat64(NDArray a) {
        if (a.getDataType() != DataType.FLOAT64) {
            throw new AssertionError("expected a float64 result, got " + a.getDataType());
        }
    }

    static NDArray create64(NDManager m, float[][] x) {
        try (NDArray f32 = create(m, x)) {
            return f32.toType(DataType.FLOAT64, true);
        }
    }

    /** Creates an owned copy: on CPU {@code create(float[])} may alias a buffer that does not outlive the call. */
    static NDArray create(NDManager m, float[][] x) {
        try (NDArray view = m.create(x)) {
            return view.duplicate();
        }
    }

    static NDArray create(NDManager m, float[] x) {
        try (NDArray view = m.create(x)) {
            return view.duplicate();
        }
    }

    static float[][] reshape(float[] flat, int rows) {
        int cols = flat.length / rows;
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
        }
        return out;
    }

    static float[][] copy(float[][] x) {
        float[][] c = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }

    /** Sets every masked position of a copy of {@code x} to {@code value}. */
    static float[][] fillMasked(float[][] x, float[][] mask, float value) {
        float[][] c = copy(x);
        for (int i = 0; i < c.length; i++) {
            for (int t = 0; t < c[i].length; t++) {
                if (mask[i][t] == 0) {
                    c[i][t] = value;
                }
            }
        }
        return c;
    }
}
