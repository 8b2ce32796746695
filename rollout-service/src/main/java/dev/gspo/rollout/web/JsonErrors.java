package dev.gspo.rollout.web;

import dev.gspo.rollout.validation.Violation;
import java.util.List;
import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.InputCoercionException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/** Turns a Jackson read failure into a {@link Violation} naming the JSON path, without Jackson's internals. */
final class JsonErrors {
    private JsonErrors() {}

    static Violation describe(HttpMessageNotReadableException ex) {
        Throwable cause = ex.getCause();
        if (!(cause instanceof JacksonException j)) {
            return new Violation(
                    "body",
                    ex.getMessage() != null && ex.getMessage().startsWith("Required request body")
                            ? "a JSON body is required"
                            : "the body cannot be read as JSON");
        }
        String path = path(j.getPath());
        if (j instanceof UnrecognizedPropertyException u) {
            return new Violation(path, "unknown field '" + u.getPropertyName() + "'");
        }
        if (j instanceof InvalidFormatException f) {
            return new Violation(path, "cannot read " + quote(f.getValue()) + " as " + typeName(f.getTargetType()));
        }
        if (j instanceof MismatchedInputException m && m.getTargetType() != null && !path.equals("body")) {
            Class<?> type = m.getTargetType();
            if (type.isArray() && path.endsWith("]")) {
                type = type.getComponentType(); // the element at that index is wrong, not the array
            }
            return new Violation(path, "expected " + typeName(type) + at(j.getLocation()));
        }
        if (j instanceof InputCoercionException) {
            return new Violation(path, "number out of range" + at(j.getLocation()));
        }
        if (j instanceof StreamReadException r && isDuplicateKey(r)) {
            TokenStreamContext object = r.processor().streamReadContext();
            return new Violation(path(object), "duplicate key '" + object.currentName() + "'");
        }
        if (j instanceof StreamReadException) {
            return new Violation("body", "malformed JSON" + at(j.getLocation()) + ": " + clean(j.getOriginalMessage()));
        }
        return new Violation(path, "invalid value: " + clean(j.getOriginalMessage()));
    }

    /** {@code prompts[0].tokenIds[2]}, or {@code body} at the top level. */
    static String path(List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    /**
     * Jackson reports a duplicate key ({@code StreamReadFeature.STRICT_DUPLICATE_DETECTION}) as a plain
     * {@link StreamReadException} thrown while its parser stands on the key: the key and its place are read from the
     * parser's context, never from the message.
     */
    private static boolean isDuplicateKey(StreamReadException e) {
        return e.processor() != null
                && e.getOriginalMessage() != null
                && e.getOriginalMessage().startsWith("Duplicate Object property")
                && e.processor().streamReadContext() != null
                && e.processor().streamReadContext().inObject();
    }

    /** {@code sampling.seed}, {@code prompts[1].tokenIds}: the place of the current key of a parser's context. */
    private static String path(TokenStreamContext context) {
        StringBuilder sb = new StringBuilder();
        for (TokenStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            String segment = c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.currentName();
            if (!sb.isEmpty() && sb.charAt(0) != '[') {
                sb.insert(0, '.');
            }
            sb.insert(0, segment);
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    /** Jackson's message without its source and marker references. */
    private static String clean(String message) {
        if (message == null) {
            return "unreadable";
        }
        String m = message.replaceAll("\\s*\\(start marker at .*$", "").replaceAll("\\s*\\[Source:.*$", "");
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "the declared type";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type.isArray() || List.class.isAssignableFrom(type)) {
            return "an array";
        }
        return "an object";
    }

    private static String quote(Object value) {
        String s = String.valueOf(value);
        s = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return value instanceof String ? "\"" + s + "\"" : s;
    }

    private static String at(TokenStreamLocation loc) {
        return loc == null || loc.getLineNr() < 0
                ? ""
                : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }
}
