package dev.gspo.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The smoke variant of {@code ./gspo bench} runs end to end and writes a table of finite positive numbers. */
class BenchCommandSmokeTest {

    @Test
    void smokeRunWritesATableWithFinitePositiveNumbersForEverySection(@TempDir Path dir) throws Exception {
        Path md = dir.resolve("BENCHMARKS.md");
        BenchCommand command = new BenchCommand();
        int code = new CommandLine(command)
                .execute(
                        "--smoke",
                        "--out",
                        md.toString(),
                        "--work-dir",
                        dir.resolve("work").toString());

        assertThat(code).isZero();
        List<Row> rows = command.rows();
        assertThat(rows).allSatisfy(r -> assertThat(r.value()).isFinite().isPositive());
        Set<String> sections = rows.stream().map(Row::section).collect(Collectors.toSet());
        assertThat(sections)
                .containsExactlyInAnyOrder(
                        "ceiling", "decode", "decode A/B", "engine", "train", "publish", "lora-mixed-decode", "e2e");
        assertThat(rows).anyMatch(r -> r.note().startsWith("HTTP"));
        // batch-1 decode is read against both limits: the machine's (a sum) and libtorch's matrix-vector product
        assertThat(rows).anyMatch(r -> r.section().equals("ceiling") && r.name().contains("matrix-vector product"));
        assertThat(rows.stream()
                        .filter(r -> r.section().equals("decode")
                                && r.name().endsWith(" cache")
                                && r.note().startsWith("in-process")))
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.note()).contains("of the limit; at the matrix-vector product's"));
        String written = Files.readString(md);
        assertThat(written).contains(Results.HEADER).contains("nproc").contains("load average");
        List<String> tableRows = written.lines()
                .filter(l -> l.startsWith("| ") && !l.startsWith(Results.HEADER))
                .toList();
        assertThat(tableRows).hasSize(rows.size());
        for (String line : tableRows) {
            String value = line.split("\\|")[3].trim();
            assertThat(Double.parseDouble(value)).as(line).isFinite().isPositive();
        }
    }

    @Test
    void fewerThanOneTrainStepIsAUsageErrorBeforeAnythingRuns(@TempDir Path dir) {
        java.io.StringWriter err = new java.io.StringWriter();
        CommandLine cli = new CommandLine(new BenchCommand()).setErr(new java.io.PrintWriter(err));
        Path md = dir.resolve("BENCHMARKS.md");

        int code = cli.execute("--only", "train", "--train-steps", "0", "--out", md.toString());

        assertThat(code).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("--train-steps must be at least 1");
        assertThat(md).doesNotExist();
    }
}
