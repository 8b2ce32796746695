package dev.gspo.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of hostile JSON request bodies for fuzz tests: starting from a valid body, each case mutates
 * fields into wrong types, extreme numbers, huge strings, deep nesting, unknown fields, or replaces the whole body
 * with random JSON or broken text; {@link #duplicateKey} writes one of its keys twice. Seeded, so a failing case can
 * be replayed from its index.
 */
public final class JsonFuzz {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private final SplittableRandom rng;
    private final ObjectNode valid;

    public JsonFuzz(long seed, String validBody) {
        this.rng = new SplittableRandom(seed);
        try {
            this.valid = (ObjectNode) JSON.readTree(validBody);
        } catch (Exception e) {
            throw new IllegalArgumentException("the valid body is not a JSON object", e);
        }
    }

    /** The next hostile body (as text: some cases are not JSON at all). */
    public String next() {
        return switch (rng.nextInt(10)) {
            case 0 -> randomValue(0).toString();
            case 1 -> brokenText();
            case 2 -> withUnknownField();
            default -> mutateFields();
        };
    }

    /**
     * The valid body with one of its keys, at the top level or in a nested object, written twice with the same value:
     * a duplicate key is then its only fault. A JSON text that {@code JsonNode} cannot even hold, so it is built as
     * text; a strict reader must refuse it rather than keep one of the two silently.
     */
    public String duplicateKey() {
        ObjectNode body = valid.deepCopy();
        List<String> names = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(names::add);
        String name = names.get(rng.nextInt(names.size()));
        JsonNode nested = body.get(name);
        if (nested.isObject() && !nested.isEmpty() && rng.nextBoolean()) {
            String placeholder = "\u0000nested\u0000";
            body.put(name, placeholder);
            return body.toString().replace(F.textNode(placeholder).toString(), withDuplicate((ObjectNode) nested));
        }
        return withDuplicate(body);
    }

    private String withDuplicate(ObjectNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        String name = names.get(rng.nextInt(names.size()));
        return "{" + F.textNode(name) + ":" + o.get(name) + "," + o.toString().substring(1);
    }

    private String mutateFields() {
        ObjectNode body = valid.deepCopy();
        List<String> names = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(names::add);
        int mutations = 1 + rng.nextInt(3);
        for (int i = 0; i < mutations && !names.isEmpty(); i++) {
            String name = names.get(rng.nextInt(names.size()));
            JsonNode current = body.get(name);
            body.set(
                    name,
                    current != null && current.isObject() && rng.nextBoolean()
                            ? mutateObject((ObjectNode) current.deepCopy())
                            : randomValue(0));
        }
        return body.toString();
    }

    private JsonNode mutateObject(ObjectNode o) {
        List<String> names = new java.util.ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        if (!names.isEmpty()) {
            o.set(names.get(rng.nextInt(names.size())), randomValue(0));
        }
        return o;
    }

    private String withUnknownField() {
        ObjectNode body = valid.deepCopy();
        body.set("unknown" + rng.nextInt(100), randomValue(1));
        return body.toString();
    }

    private String brokenText() {
        String s = valid.toString();
        return switch (rng.nextInt(4)) {
            case 0 -> s.substring(0, rng.nextInt(Math.max(1, s.length())));
            case 1 -> s + "}}";
            case 2 -> s.replace(':', '=');
            default -> "\u0000\uFFFF" + s;
        };
    }

    private JsonNode randomValue(int depth) {
        int kind = rng.nextInt(depth > 3 ? 8 : 11);
        return switch (kind) {
            case 0 -> F.nullNode();
            case 1 -> F.booleanNode(rng.nextBoolean());
            case 2 -> F.numberNode(rng.nextInt(-3, 4));
            case 3 ->
                F.numberNode(pick(Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE + 1L, -1L, 0L, 1_000_000_000L));
            case 4 -> F.numberNode(pick(1e308, -1e308, 1e-320, 0.5, -0.0, 3.14));
            case 5 -> F.textNode(pick("", " ", "12+34=", "\n", "NaN", "Infinity", "🤖", "a".repeat(10_000)));
            case 6 -> F.textNode("x".repeat(rng.nextInt(0, 300)));
            case 7 -> F.numberNode(new java.math.BigInteger("9".repeat(40)));
            case 8 -> {
                ArrayNode a = F.arrayNode();
                int n = rng.nextInt(0, 5);
                for (int i = 0; i < n; i++) {
                    a.add(randomValue(depth + 1));
                }
                yield a;
            }
            case 9 -> {
                ObjectNode o = F.objectNode();
                int n = rng.nextInt(0, 4);
                for (int i = 0; i < n; i++) {
                    o.set("k" + rng.nextInt(10), randomValue(depth + 1));
                }
                yield o;
            }
            default -> {
                ArrayNode deep = F.arrayNode();
                ArrayNode cur = deep;
                for (int i = 0; i < 200; i++) {
                    ArrayNode next = F.arrayNode();
                    cur.add(next);
                    cur = next;
                }
                yield deep;
            }
        };
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rng.nextInt(options.length)];
    }
}
