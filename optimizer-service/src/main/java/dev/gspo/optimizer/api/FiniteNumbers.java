package dev.gspo.optimizer.api;

import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.ser.std.StdSerializer;

/**
 * JSON has no NaN or infinity, and Jackson would write them as the strings {@code "NaN"}, {@code "Infinity"}: a
 * number field that is sometimes a string (a dense model's {@code expertChangeShare}, a step without a held-out
 * evaluation). Every answer of the optimizer writes a non-finite {@code double} or {@code float} as {@code null}
 * instead, meaning "not measured" (Spring registers this module with its JSON mapper).
 */
public final class FiniteNumbers extends SimpleModule {
    public FiniteNumbers() {
        super("finite-numbers");
        addSerializer(Double.class, new DoubleSerializer(Double.class));
        addSerializer(Double.TYPE, new DoubleSerializer(Double.TYPE));
        addSerializer(Float.class, new FloatSerializer(Float.class));
        addSerializer(Float.TYPE, new FloatSerializer(Float.TYPE));
    }

    private static final class DoubleSerializer extends StdSerializer<Double> {
        @SuppressWarnings("unchecked")
        DoubleSerializer(Class<?> type) {
            super((Class<Double>) type);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializationContext ctxt) {
            if (Double.isFinite(value)) {
                gen.writeNumber(value);
            } else {
                gen.writeNull();
            }
        }
    }

    private static final class FloatSerializer extends StdSerializer<Float> {
        @SuppressWarnings("unchecked")
        FloatSerializer(Class<?> type) {
            super((Class<Float>) type);
        }

        @Override
        public void serialize(Float value, JsonGenerator gen, SerializationContext ctxt) {
            if (Float.isFinite(value)) {
                gen.writeNumber(value);
            } else {
                gen.writeNull();
            }
        }
    }
}
