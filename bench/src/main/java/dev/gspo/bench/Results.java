package dev.gspo.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The rows of one run, printed as they come and written as one markdown section at the end. */
final class Results {
    static final String HEADER = "| section | case | value | unit | GFLOP/s | % of ceiling | load | note |";
    private final List<Row> rows = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();
    private double ceiling = Double.NaN;

    void ceiling(double gflops) {
        this.ceiling = gflops;
    }

    double ceiling() {
        return ceiling;
    }

    void add(Row row) {
        rows.add(row);
        System.out.println(line(row));
    }

    void skip(String what) {
        skipped.add(what);
        System.out.println("(skipped " + what + ")");
    }

    List<Row> rows() {
        return List.copyOf(rows);
    }

    String line(Row r) {
        return "| " + r.section() + " | " + r.name() + " | " + num(r.value()) + " | " + r.unit() + " | "
                + num(r.gflops()) + " | " + pct(r.gflops()) + " | " + String.format(Locale.ROOT, "%.2f", r.load())
                + " | " + r.note() + " |";
    }

    String table() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n').append("|---|---|---:|---|---:|---:|---:|---|\n");
        rows.forEach(r -> sb.append(line(r)).append('\n'));
        if (!skipped.isEmpty()) {
            sb.append("\nLeft out (over the run's time budget): ")
                    .append(String.join("; ", skipped))
                    .append(".\n");
        }
        return sb.toString();
    }

    /** Appends "## title", the machine and the table to the markdown file (created with a heading if missing). */
    void appendTo(Path file, String title, String machine) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (!Files.exists(file)) {
                Files.writeString(file, "# Benchmarks\n\nRuns appended by `./gspo bench`.\n");
            }
            String section = "\n## " + title + "\n\n" + machine + "\n\n" + table();
            Files.writeString(file, section, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }

    private String pct(double gflops) {
        if (!Double.isFinite(gflops) || !Double.isFinite(ceiling) || ceiling <= 0) {
            return "—";
        }
        return String.format(Locale.ROOT, "%.2f%%", 100 * gflops / ceiling);
    }

    static String num(double v) {
        if (!Double.isFinite(v)) {
            return "—";
        }
        double a = Math.abs(v);
        return a >= 1000
                ? String.format(Locale.ROOT, "%.0f", v)
                : a >= 10
                        ? String.format(Locale.ROOT, "%.1f", v)
                        : a >= 0.1 ? String.format(Locale.ROOT, "%.3f", v) : String.format(Locale.ROOT, "%.4g", v);
    }
}
