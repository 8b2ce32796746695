package dev.gspo.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Dockerfile read into stages and instructions (line continuations joined, comments dropped). */
record Dockerfile(Path file, Map<String, String> globalArgs, List<Stage> stages) {
    record Instruction(String keyword, String arguments, int line) {}

    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream()
                    .filter(i -> i.keyword().equals(keyword))
                    .toList();
        }

        /** ENV key=value pairs, in order, later ones winning. */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Instruction i : all("ENV")) {
                Matcher m = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S*))")
                        .matcher(i.arguments());
                while (m.find()) {
                    env.put(m.group(1), m.group(3) != null ? m.group(3) : m.group(4));
                }
            }
            return env;
        }

        /** ARG name → default (empty string when none) declared in this stage. */
        Map<String, String> args() {
            Map<String, String> args = new LinkedHashMap<>();
            for (Instruction i : all("ARG")) {
                String a = i.arguments().strip();
                int eq = a.indexOf('=');
                args.put(eq < 0 ? a : a.substring(0, eq), eq < 0 ? "" : unquote(a.substring(eq + 1)));
            }
            return args;
        }
    }

    /** A COPY/ADD: its flags (--from=, --chown=), sources and destination. */
    record Copy(Map<String, String> flags, List<String> sources, String destination, int line) {}

    static Dockerfile parse(Path file) {
        List<String> logical = new ArrayList<>();
        List<Integer> lineNumbers = new ArrayList<>();
        StringBuilder current = null;
        int number = 0;
        int startLine = 0;
        for (String raw : Repo.read(file).split("\n", -1)) {
            number++;
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && current == null)) {
                continue;
            }
            if (current == null) {
                current = new StringBuilder();
                startLine = number;
            }
            boolean continues = line.endsWith("\\");
            current.append(continues ? line.substring(0, line.length() - 1) : line)
                    .append(' ');
            if (!continues) {
                logical.add(current.toString().strip());
                lineNumbers.add(startLine);
                current = null;
            }
        }
        Map<String, String> globalArgs = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        List<Instruction> instructions = null;
        for (int k = 0; k < logical.size(); k++) {
            String text = logical.get(k);
            int space = text.indexOf(' ');
            String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase();
            String arguments = space < 0 ? "" : text.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                String[] parts = arguments.split("\\s+");
                String image = substitute(parts[0], globalArgs);
                String name = parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
                instructions = new ArrayList<>();
                stages.add(new Stage(image, name, instructions));
            } else if (instructions == null) {
                if (!keyword.equals("ARG")) {
                    throw new IllegalArgumentException(
                            Repo.relative(file) + ":" + lineNumbers.get(k) + ": " + keyword + " before the first FROM");
                }
                int eq = arguments.indexOf('=');
                globalArgs.put(
                        eq < 0 ? arguments : arguments.substring(0, eq),
                        eq < 0 ? "" : unquote(arguments.substring(eq + 1)));
            } else {
                instructions.add(new Instruction(keyword, arguments, lineNumbers.get(k)));
            }
        }
        return new Dockerfile(file, globalArgs, stages);
    }

    Stage finalStage() {
        return stages.getLast();
    }

    /** COPY and ADD instructions of every stage. */
    List<Copy> copies() {
        List<Copy> out = new ArrayList<>();
        for (Stage s : stages) {
            for (Instruction i : s.instructions()) {
                if (!i.keyword().equals("COPY") && !i.keyword().equals("ADD")) {
                    continue;
                }
                Map<String, String> flags = new LinkedHashMap<>();
                List<String> words = new ArrayList<>(List.of(i.arguments().split("\\s+")));
                while (!words.isEmpty() && words.getFirst().startsWith("--")) {
                    String flag = words.removeFirst().substring(2);
                    int eq = flag.indexOf('=');
                    flags.put(eq < 0 ? flag : flag.substring(0, eq), eq < 0 ? "" : flag.substring(eq + 1));
                }
                String destination = words.removeLast();
                out.add(new Copy(flags, List.copyOf(words), destination, i.line()));
            }
        }
        return out;
    }

    static String substitute(String text, Map<String, String> args) {
        String out = text;
        for (Map.Entry<String, String> a : args.entrySet()) {
            out = out.replace("${" + a.getKey() + "}", a.getValue()).replace("$" + a.getKey(), a.getValue());
        }
        return out;
    }

    private static String unquote(String s) {
        String t = s.strip();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }
}
