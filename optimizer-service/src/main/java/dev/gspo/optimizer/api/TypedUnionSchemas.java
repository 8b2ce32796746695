package dev.gspo.optimizer.api;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The typed unions of the run config ({@code task} by {@code name}, each of {@code rewards} by {@code fn}) as closed
 * object schemas: springdoc writes each subtype as {@code allOf} [the base with a discriminator but no mapping, its own
 * properties], which a validator cannot resolve (the discriminator values are Jackson type names, not schema names)
 * and which splits the properties of one object over two schemas. Here each subtype becomes one object schema whose
 * type property is an enum of its one Jackson name ({@code @JsonSubTypes}), so {@code oneOf} picks exactly one; the
 * base becomes that {@code oneOf}.
 */
final class TypedUnionSchemas {
    private TypedUnionSchemas() {}

    @SuppressWarnings({"rawtypes", "unchecked"})
    static void flatten(Map<String, Schema> schemas, Class<?> base) {
        JsonTypeInfo info = base.getAnnotation(JsonTypeInfo.class);
        JsonSubTypes subtypes = base.getAnnotation(JsonSubTypes.class);
        if (schemas == null || info == null || subtypes == null) {
            return;
        }
        String property = info.property();
        List<Schema> choices = new ArrayList<>();
        for (JsonSubTypes.Type type : subtypes.value()) {
            String name = type.value().getSimpleName();
            Schema sub = schemas.get(name);
            if (sub == null) {
                continue;
            }
            Map<String, Schema> properties = new LinkedHashMap<>();
            properties.put(property, new StringSchema()._enum(List.of(type.name())));
            List<String> required = new ArrayList<>(List.of(property));
            List<Schema> parts = sub.getAllOf() == null ? List.of(sub) : sub.getAllOf();
            for (Schema part : parts) {
                if (part.get$ref() == null && part.getProperties() != null) {
                    part.getProperties().forEach((k, v) -> properties.putIfAbsent((String) k, (Schema) v));
                    if (part.getRequired() != null) {
                        required.addAll(part.getRequired());
                    }
                }
            }
            ObjectSchema flat = new ObjectSchema();
            flat.setProperties(properties);
            flat.setRequired(required.stream().distinct().toList());
            flat.setDescription(sub.getDescription());
            schemas.put(name, flat);
            choices.add(new Schema<>().$ref("#/components/schemas/" + name));
        }
        Schema union = new Schema<>();
        union.setOneOf(choices);
        union.setDescription("one of the types below, chosen by \"" + property + "\"");
        schemas.put(base.getSimpleName(), union);
    }
}
