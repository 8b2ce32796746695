package dev.gspo.common.model;

import java.util.Arrays;

/** The name (Hugging Face convention) and shape a model expects for one of its weights. All weights are float32. */
public record TensorSpec(String name, long[] shape) {
    public TensorSpec {
        shape = shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
