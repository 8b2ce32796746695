package dev.gspo.common.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * What Jinjava lacks, or does differently from Python's jinja2, for the constructs Hugging Face chat templates use.
 * Each shim is checked against Python's jinja2 by {@code ChatTemplateFeaturesTest} (goldens from
 * {@code scripts/reference/chat-templates/render_template_features.py}).
 *
 * <ul>
 *   <li><b>Python string methods</b> ({@link PythonStringMethods}): templates call {@code .startswith},
 *       {@code .endswith}, {@code .split}, {@code .strip}/{@code .lstrip}/{@code .rstrip} (with or without the
 *       characters to strip), {@code .upper}, {@code .lower}, {@code .replace} on strings. Jinjava only calls Java
 *       methods, which either do not exist under these names or mean something else ({@code String.split} takes a
 *       regex and drops trailing empty strings; {@code String.strip} takes no argument).</li>
 *   <li><b>{@code tojson}</b> ({@link PythonToJson}): transformers replaces jinja2's filter by
 *       {@code json.dumps(x, ensure_ascii=False, indent=indent)}: separators {@code ", "} and {@code ": "}, non-ASCII
 *       kept, {@code indent} supported. Jinjava's writes compact JSON.</li>
 *   <li><b>{@code raise_exception(message)}</b> ({@link #raiseException}): transformers' global, which templates call
 *       to refuse a conversation (e.g. roles that do not alternate); Jinjava has no such function.</li>
 *   <li><b>Two rewrites of the template source</b> ({@link #adaptSource}), applied inside {@code {{ }}} and
 *       {@code {% %}} only: Jinjava's expression parser cannot read a slice with a step, so {@code x[::-1]} becomes
 *       the equivalent {@code x|reverse}; and it gives a keyword argument's {@code =} the precedence of {@code +}, so
 *       {@code namespace(i=xs|length - 1)} would compute {@code (i=xs|length) - 1} and fail: every keyword argument
 *       of {@code namespace(…)} is put in parentheses, {@code namespace(i=(xs|length - 1))}.</li>
 *   <li><b>The trailing newline</b>: jinja2 (keep_trailing_newline off, as in transformers) drops one newline at the
 *       end of the template source; Jinjava's option drops it from the output instead, which would eat the
 *       {@code "\n"} a template prints last (Qwen3's generation prompt ends with one). So Jinjava keeps it and
 *       {@link #adaptSource} drops the source's.</li>
 * </ul>
 *
 * Anything else Jinjava cannot do fails the rendering with its error (never a silently different prompt).
 */
final class JinjaShims {
    private JinjaShims() {}

    private static final Pattern TAG = Pattern.compile("\\{\\{.*?}}|\\{%.*?%}", Pattern.DOTALL);
    private static final Pattern REVERSE_SLICE = Pattern.compile("\\[\\s*:\\s*:\\s*-1\\s*]");
    private static final Pattern NAMESPACE_CALL = Pattern.compile("\\bnamespace\\s*\\(");
    private static final Pattern KEYWORD = Pattern.compile("^(\\s*[A-Za-z_]\\w*\\s*)=(?!=)(.*)$", Pattern.DOTALL);

    /** The template with the rewrites above applied inside its tags, and its trailing newline dropped. */
    static String adaptSource(String template) {
        if (template.endsWith("\r\n")) {
            template = template.substring(0, template.length() - 2);
        } else if (template.endsWith("\n") || template.endsWith("\r")) {
            template = template.substring(0, template.length() - 1);
        }
        Matcher tags = TAG.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 64);
        while (tags.find()) {
            String tag = REVERSE_SLICE.matcher(tags.group()).replaceAll("|reverse");
            tags.appendReplacement(out, Matcher.quoteReplacement(parenthesiseNamespaceArguments(tag)));
        }
        tags.appendTail(out);
        return out.toString();
    }

    private static String parenthesiseNamespaceArguments(String tag) {
        Matcher call = NAMESPACE_CALL.matcher(tag);
        StringBuilder out = new StringBuilder();
        int copied = 0;
        while (call.find(copied)) {
            int open = call.end(); // just after "("
            Arguments arguments = arguments(tag, open);
            if (arguments == null) {
                break; // unbalanced: left for Jinjava to report
            }
            out.append(tag, copied, open);
            for (int i = 0; i < arguments.list().size(); i++) {
                String argument = arguments.list().get(i);
                Matcher keyword = KEYWORD.matcher(argument);
                out.append(i == 0 ? "" : ",")
                        .append(keyword.matches() ? keyword.group(1) + "=(" + keyword.group(2) + ")" : argument);
            }
            out.append(')');
            copied = arguments.close() + 1;
        }
        return out.append(tag, copied, tag.length()).toString();
    }

    /** A call's arguments split at their top-level commas, and the index of the ")" that closes the call. */
    private record Arguments(List<String> list, int close) {}

    /** Scans the arguments of a call starting at {@code from} (just after "("), skipping strings; null if unclosed. */
    private static Arguments arguments(String s, int from) {
        List<String> list = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = endOfString(s, i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            } else if (c == ')' || c == ']' || c == '}') {
                list.add(s.substring(start, i));
                return c == ')' ? new Arguments(list, i) : null;
            } else if (c == ',' && depth == 0) {
                list.add(s.substring(start, i));
                start = i + 1;
            }
        }
        return null;
    }

    /** The index of the quote closing the string literal that opens at {@code open}. */
    private static int endOfString(String s, int open) {
        char quote = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
            } else if (s.charAt(i) == quote) {
                return i;
            }
        }
        return s.length();
    }

    /**
     * The message of the last {@code raise_exception} call on this thread. Jinjava turns an exception thrown by a
     * function into a generic "Error invoking function" error without its cause, so the message travels here
     * (rendering runs on the caller's thread) and {@link ChatTemplate} throws it.
     */
    static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    /** transformers' {@code raise_exception}: ends the rendering with the template's message. */
    public static String raiseException(String message) {
        RAISED.set(String.valueOf(message));
        throw new ChatTemplateException("the chat template refused the conversation: " + message);
    }

    /** Python's {@code str} methods on Java strings; any other call falls through to Jinjava's resolvers. */
    static final class PythonStringMethods extends ELResolver {
        @Override
        public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
            if (!(base instanceof String s) || method == null) {
                return null;
            }
            Object[] p = params == null ? new Object[0] : params;
            Object result =
                    switch (method.toString()) {
                        case "startswith" -> affix(s, p, true);
                        case "endswith" -> affix(s, p, false);
                        case "split" -> split(s, p);
                        case "strip" -> strip(s, p, true, true);
                        case "lstrip" -> strip(s, p, true, false);
                        case "rstrip" -> strip(s, p, false, true);
                        case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
                        case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
                        case "replace" -> replace(s, p);
                        default -> null;
                    };
            if (result != null) {
                context.setPropertyResolved(true);
            }
            return result;
        }

        /** startswith/endswith: the argument may be one string or a tuple (list) of them. */
        private static Boolean affix(String s, Object[] p, boolean start) {
            List<?> candidates = p.length > 0 && p[0] instanceof Collection<?> c ? List.copyOf(c) : List.of(arg(p, 0));
            for (Object candidate : candidates) {
                String a = String.valueOf(candidate);
                if (start ? s.startsWith(a) : s.endsWith(a)) {
                    return true;
                }
            }
            return false;
        }

        /** str.split(sep=None, maxsplit=-1): a literal separator keeps empty parts; none splits on whitespace runs. */
        private static List<String> split(String s, Object[] p) {
            Object sep = p.length > 0 ? p[0] : null;
            long max = p.length > 1 && p[1] instanceof Number n ? n.longValue() : -1;
            List<String> out = new ArrayList<>();
            if (sep == null) {
                int i = 0;
                while (true) {
                    while (i < s.length() && isPythonSpace(s.charAt(i))) {
                        i++;
                    }
                    if (i == s.length()) {
                        return out;
                    }
                    if (max >= 0 && out.size() == max) {
                        out.add(strip(s.substring(i), new Object[0], false, true));
                        return out;
                    }
                    int j = i;
                    while (j < s.length() && !isPythonSpace(s.charAt(j))) {
                        j++;
                    }
                    out.add(s.substring(i, j));
                    i = j;
                }
            }
            String separator = sep.toString();
            if (separator.isEmpty()) {
                throw new ChatTemplateException("split(): empty separator");
            }
            int from = 0;
            int at;
            while ((max < 0 || out.size() < max) && (at = s.indexOf(separator, from)) >= 0) {
                out.add(s.substring(from, at));
                from = at + separator.length();
            }
            out.add(s.substring(from));
            return out;
        }

        /** str.strip/lstrip/rstrip(chars=None): without chars (or None) strips whitespace. */
        private static String strip(String s, Object[] p, boolean left, boolean right) {
            String chars = p.length > 0 && p[0] != null ? p[0].toString() : null;
            int a = 0;
            int b = s.length();
            while (left && a < b && stripped(s.charAt(a), chars)) {
                a++;
            }
            while (right && b > a && stripped(s.charAt(b - 1), chars)) {
                b--;
            }
            return s.substring(a, b);
        }

        private static boolean stripped(char c, String chars) {
            return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
        }

        /** str.isspace for one character (the BMP whitespace Python strips by default). */
        private static boolean isPythonSpace(char c) {
            return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085' || (c >= 0x1c && c <= 0x1f);
        }

        /** str.replace(old, new, count=-1). */
        private static String replace(String s, Object[] p) {
            String old = arg(p, 0);
            String replacement = arg(p, 1);
            long count = p.length > 2 && p[2] instanceof Number n ? n.longValue() : -1;
            if (count < 0 || old.isEmpty()) {
                return s.replace(old, replacement);
            }
            StringBuilder out = new StringBuilder();
            int from = 0;
            int at;
            for (long done = 0; done < count && (at = s.indexOf(old, from)) >= 0; done++) {
                out.append(s, from, at).append(replacement);
                from = at + old.length();
            }
            return out.append(s.substring(from)).toString();
        }

        private static String arg(Object[] p, int i) {
            if (p.length <= i || p[i] == null) {
                throw new ChatTemplateException("a string method is missing its argument " + (i + 1));
            }
            return p[i].toString();
        }

        @Override
        public Object getValue(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public Class<?> getType(ELContext context, Object base, Object property) {
            return null;
        }

        @Override
        public void setValue(ELContext context, Object base, Object property, Object value) {}

        @Override
        public boolean isReadOnly(ELContext context, Object base, Object property) {
            return true;
        }

        @Override
        public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
            return null;
        }

        @Override
        public Class<?> getCommonPropertyType(ELContext context, Object base) {
            return null;
        }
    }

    /** {@code tojson} as transformers defines it: Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    static final class PythonToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0]) : null;
            return dumps(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 0 ? args[0] : null;
            return dumps(var, indent instanceof Number n ? Integer.valueOf(n.intValue()) : null);
        }

        static String dumps(Object value, Integer indent) {
            StringBuilder out = new StringBuilder();
            write(out, value, indent, 0);
            return out.toString();
        }

        private static void write(StringBuilder out, Object v, Integer indent, int level) {
            switch (v) {
                case null -> out.append("null");
                case Boolean b -> out.append(b ? "true" : "false");
                case Number n -> out.append(n); // floats as Java prints them: Python differs only in exponent form
                case CharSequence s -> string(out, s.toString());
                case Map<?, ?> m -> container(out, m.entrySet(), indent, level, '{', '}');
                case Collection<?> c -> container(out, c, indent, level, '[', ']');
                case Object[] a -> container(out, List.of(a), indent, level, '[', ']');
                default -> string(out, v.toString());
            }
        }

        private static void container(
                StringBuilder out, Collection<?> items, Integer indent, int level, char open, char close) {
            out.append(open);
            if (items.isEmpty()) {
                out.append(close);
                return;
            }
            boolean first = true;
            for (Object item : items) {
                out.append(first ? "" : indent == null ? ", " : ",");
                first = false;
                if (indent != null) {
                    out.append('\n').append(" ".repeat(indent * (level + 1)));
                }
                if (item instanceof Map.Entry<?, ?> e) {
                    string(out, String.valueOf(e.getKey()));
                    out.append(": ");
                    write(out, e.getValue(), indent, level + 1);
                } else {
                    write(out, item, indent, level + 1);
                }
            }
            if (indent != null) {
                out.append('\n').append(" ".repeat(indent * level));
            }
            out.append(close);
        }

        private static void string(StringBuilder out, String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }
}
