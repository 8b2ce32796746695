package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GradientsTest {

    @Test
    void globalNormSumsEveryParametersSquaresLikeAFloat64Reference() {
        try (NDManager manager = NDManager.newBaseManager()) {
            SplittableRandom rng = new SplittableRandom(7);
            List<NDArray> params = new ArrayList<>();
            double sumSquares = 0;
            List<float[]> grads = new ArrayList<>();
            for (Shape shape : List.of(new Shape(64, 33), new Shape(5), new Shape(1), new Shape(7, 3, 11))) {
                float[] g = new float[Math.toIntExact(shape.size())];
                double scale = Math.pow(10, rng.nextInt(-3, 3)); // parameters whose gradients differ in magnitude
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) (scale * rng.nextGaussian());
                    sumSquares += (double) g[i] * g[i];
                }
                params.add(parameter(manager, shape));
                grads.add(g);
            }
            setGradients(params, grads);
            assertThat(Gradients.globalNorm(params))
                    .isCloseTo(Math.sqrt(sumSquares), within(1e-6 * Math.sqrt(sumSquares)));
        }
    }

    @Test
    void globalNormOfFiniteGradientsWhoseSquaresOverflowFloat32IsFinite() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> params = List.of(parameter(manager, new Shape(2)), parameter(manager, new Shape(1)));
            // (3·10¹⁹)² = 9·10³⁸ > Float.MAX_VALUE ≈ 3.4·10³⁸: a float32 sum of squares is ∞, the norm is not
            setGradients(params, List.of(new float[] {3e19f, 0}, new float[] {4e19f}));
            assertThat(Gradients.globalNorm(params)).isCloseTo(5e19, within(5e19 * 1e-6));
        }
    }

    @Test
    void globalNormIsInfiniteWhenAGradientIsInfiniteAndNaNWhenOneIsNaN() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<NDArray> params = List.of(parameter(manager, new Shape(2)), parameter(manager, new Shape(1)));
            setGradients(params, List.of(new float[] {1, 0}, new float[] {1}));
            params.get(1).getGradient().set(new float[] {Float.POSITIVE_INFINITY});
            assertThat(Gradients.globalNorm(params)).isInfinite();
            params.get(0).getGradient().set(new float[] {Float.NaN, 1});
            assertThat(Gradients.globalNorm(params)).isNaN();
        }
    }

    private static NDArray parameter(NDManager manager, Shape shape) {
        NDArray p = manager.zeros(shape);
        p.setRequiresGradient(true);
        return p;
    }

    /** Runs a backward whose gradients are exactly {@code grads}: loss = Σ_p Σ_i p_i · g_{p,i}. */
    private static void setGradients(List<NDArray> params, List<float[]> grads) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                NDArray term =
                        p.mul(p.getManager().create(grads.get(i), p.getShape())).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }
}
