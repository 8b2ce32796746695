package dev.gspo.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Just enough PromQL lexing to list an expression's series selectors (metric name + label matchers). Syntax itself is
 * promtool's job; this only finds which metrics and labels an expression uses.
 */
final class PromQl {
    record Matcher(String label, String op, String value) {}

    record Selector(String metric, List<Matcher> matchers) {}

    /** Followed by a parenthesised label list, not by an expression. */
    private static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    /** Operators, and aggregations (which may be followed by "by (...)" rather than "("). */
    private static final Set<String> KEYWORDS = Set.of(
            "and",
            "or",
            "unless",
            "bool",
            "offset",
            "atan2",
            "sum",
            "min",
            "max",
            "avg",
            "group",
            "stddev",
            "stdvar",
            "count",
            "count_values",
            "bottomk",
            "topk",
            "quantile",
            "limitk",
            "limit_ratio");

    private PromQl() {}

    static List<Selector> selectors(String expr) {
        List<Selector> out = new ArrayList<>();
        int i = 0;
        int n = expr.length();
        while (i < n) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                i = skipString(expr, i);
            } else if (c == '[') {
                i = expr.indexOf(']', i) + 1;
                if (i == 0) {
                    throw new IllegalArgumentException("unclosed [ in " + expr);
                }
            } else if (c == '{') {
                int end = closing(expr, i);
                out.add(new Selector(null, matchers(expr.substring(i + 1, end))));
                i = end + 1;
            } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
                while (i < n && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                int start = i;
                while (i < n
                        && (Character.isLetterOrDigit(expr.charAt(i))
                                || expr.charAt(i) == '_'
                                || expr.charAt(i) == ':')) {
                    i++;
                }
                String word = expr.substring(start, i);
                int next = skipSpace(expr, i);
                boolean paren = next < n && expr.charAt(next) == '(';
                if (GROUPING.contains(word)) {
                    if (paren) {
                        i = expr.indexOf(')', next) + 1;
                    }
                } else if (KEYWORDS.contains(word) || paren) {
                    // operator keyword, or a function / aggregation name
                } else if (next < n && expr.charAt(next) == '{') {
                    int end = closing(expr, next);
                    out.add(new Selector(word, matchers(expr.substring(next + 1, end))));
                    i = end + 1;
                } else {
                    out.add(new Selector(word, List.of()));
                }
            } else {
                i++;
            }
        }
        return out;
    }

    /** Labels named in by (...), without (...), on (...), ignoring (...), group_left/right (...). */
    static Set<String> groupingLabels(String expr) {
        Set<String> labels = new java.util.LinkedHashSet<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)")
                .matcher(expr);
        while (m.find()) {
            for (String label : m.group(2).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.strip());
                }
            }
        }
        return labels;
    }

    private static List<Matcher> matchers(String body) {
        List<Matcher> out = new ArrayList<>();
        int i = 0;
        int n = body.length();
        while (true) {
            i = skipSpace(body, i);
            if (i >= n) {
                return out;
            }
            int start = i;
            while (i < n && (Character.isLetterOrDigit(body.charAt(i)) || body.charAt(i) == '_')) {
                i++;
            }
            String label = body.substring(start, i);
            i = skipSpace(body, i);
            int opStart = i;
            while (i < n && "=!~".indexOf(body.charAt(i)) >= 0) {
                i++;
            }
            String op = body.substring(opStart, i);
            i = skipSpace(body, i);
            if (label.isEmpty() || op.isEmpty() || i >= n) {
                throw new IllegalArgumentException("cannot read label matchers {" + body + "}");
            }
            int end = skipString(body, i);
            out.add(new Matcher(label, op, body.substring(i + 1, end - 1)));
            i = skipSpace(body, end);
            if (i < n && body.charAt(i) == ',') {
                i++;
            }
        }
    }

    private static int closing(String s, int open) {
        int i = open + 1;
        while (i < s.length() && s.charAt(i) != '}') {
            char c = s.charAt(i);
            i = (c == '"' || c == '\'' || c == '`') ? skipString(s, i) : i + 1;
        }
        if (i >= s.length()) {
            throw new IllegalArgumentException("unclosed { in " + s);
        }
        return i;
    }

    private static int skipString(String s, int i) {
        char quote = s.charAt(i);
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != quote) {
            j += (s.charAt(j) == '\\' && quote != '`') ? 2 : 1;
        }
        if (j >= s.length()) {
            throw new IllegalArgumentException("unclosed string in " + s);
        }
        return j + 1;
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }
}
