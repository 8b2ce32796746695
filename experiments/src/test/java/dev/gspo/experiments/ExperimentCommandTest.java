package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentCommandTest {
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])[-+]?\\d+(\\.\\d+)?([eE][-+]?\\d+)?");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path dir;

    @Test
    void quickExperimentWritesTheReportWithItsPlotsAndFiniteNumbers() throws Exception {
        Path out = dir.resolve("docs/EXPERIMENTS.md");
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        int exit = ExperimentCommand.execute(
                new PrintStream(log, true, StandardCharsets.UTF_8),
                "--quick",
                "--out",
                out.toString(),
                "--work-dir",
                dir.resolve("work").toString());

        assertThat(exit).as(log.toString(StandardCharsets.UTF_8)).isZero();
        String md = Files.readString(out);
        assertThat(md)
                .contains(
                        "## Results: paper clip ranges",
                        "## Results: tuned clip ranges",
                        "## Clip-range sweep",
                        "### Claim 1",
                        "### Claim 2",
                        "same code path as the services minus HTTP",
                        "`config/main-job.json`",
                        "2-digit addition",
                        "one warm start per seed",
                        "dynamic sampling",
                        "Seed 1, 2 steps per candidate",
                        "Held-out accuracy per seed, before → after");
        assertThat(md.lines().filter(l -> l.matches("\\| 1 \\| \\d+ \\| (target-reached|max-steps) \\|.*")))
                .as("the warm start's row: seed, steps, why it stopped")
                .hasSize(1);
        assertThat(md.lines().filter(l -> l.matches("\\| 1 \\|( [0-9.]+ → [0-9.]+ \\([-+][0-9.]+\\) \\|){3}")))
                .as("seed 1's held-out before → after in each of the 3 arms, per setting")
                .hasSize(2);
        assertThat(md).doesNotContainIgnoringCase("nan").doesNotContainIgnoringCase("infinity");

        List<String> armRows = md.lines()
                .filter(l -> l.matches("\\| (gspo|gspo-token|grpo) \\| \\[.*"))
                .toList();
        assertThat(armRows).hasSize(6 + 4); // 3 arms × 2 settings, 2 + 2 sweep candidates
        for (String row : armRows) {
            Matcher m = NUMBER.matcher(row);
            int numbers = 0;
            while (m.find()) {
                assertThat(Double.parseDouble(m.group())).as(row).isFinite();
                numbers++;
            }
            assertThat(numbers).as(row).isGreaterThanOrEqualTo(6);
        }

        for (String png : List.of(
                "reward-paper.png",
                "heldout-paper.png",
                "clip-paper.png",
                "reward-tuned.png",
                "heldout-tuned.png",
                "clip-tuned.png",
                "sweep.png",
                "warm-start-loss.png")) {
            Path file = out.getParent().resolve("experiments").resolve(png);
            assertThat(file).exists();
            assertThat(Files.readAllBytes(file)).startsWith(PNG_SIGNATURE);
            assertThat(md).contains("](experiments/" + png + ")");
        }

        // step 1 of a seed samples the same prompts with the same rollout seed from the same warm start in every arm:
        // the same samples, so the same rollout tokens (the rewards are all 0 at this size and would not tell)
        ExperimentResult result = ResultsFile.read(out.getParent().resolve("experiments/results.json"));
        List<RunResult> all = new java.util.ArrayList<>(result.runs());
        result.sweep().candidates().forEach(c -> all.add(c.run()));
        assertThat(all).hasSizeGreaterThanOrEqualTo(10);
        assertThat(all.stream().map(x -> x.steps().getFirst().rolloutTokens()).distinct())
                .as("step-1 rollout tokens of every arm and sweep candidate")
                .hasSize(1);
        assertThat(result.warmStarts()).hasSize(1);
        assertThat(result.warmStarts().getFirst().seed()).isEqualTo(1L);

        Path again = dir.resolve("again/EXPERIMENTS.md");
        int rerender = ExperimentCommand.execute(
                new PrintStream(log, true, StandardCharsets.UTF_8),
                "--report-from",
                out.getParent().resolve("experiments/results.json").toString(),
                "--out",
                again.toString());
        assertThat(rerender).isZero();
        assertThat(Files.readString(again))
                .as("the report rendered again from results.json")
                .isEqualTo(md);
        assertThat(again.getParent().resolve("experiments/clip-paper.png")).exists();

        // an experiment resumed from its partial results trains nothing more and reports the same runs
        Path partial = dir.resolve("work").resolve(Experiment.PARTIAL);
        assertThat(partial).exists();
        ByteArrayOutputStream resumedLog = new ByteArrayOutputStream();
        Path resumed = dir.resolve("resumed/EXPERIMENTS.md");
        int resume = ExperimentCommand.execute(
                new PrintStream(resumedLog, true, StandardCharsets.UTF_8),
                "--quick",
                "--out",
                resumed.toString(),
                "--work-dir",
                dir.resolve("work").toString(),
                "--resume-from",
                partial.toString());
        String resumedText = resumedLog.toString(StandardCharsets.UTF_8);
        assertThat(resume).as(resumedText).isZero();
        assertThat(resumedText)
                .containsPattern("resuming: 1 warm start\\(s\\) and \\d+ run\\(s\\) already done")
                .doesNotContain("(run ")
                .doesNotContain("warm start of seed");
        assertThat(tableRows(Files.readString(resumed))).isEqualTo(tableRows(md));
    }

    /** The report's table rows (the numbers of every arm, sweep candidate and warm start). */
    private static List<String> tableRows(String md) {
        return md.lines().filter(l -> l.startsWith("| ")).toList();
    }

    /** The MoE experiment at toy size: its section, table and plots, and the rest of the report kept. */
    @Test
    void quickMoeExperimentWritesItsSectionWithPlotsAndKeepsTheRestOfTheReport() throws Exception {
        Path out = dir.resolve("docs/EXPERIMENTS.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "# Experiments\n\nThe dense experiment's report.\n");
        ByteArrayOutputStream log = new ByteArrayOutputStream();

        int exit = ExperimentCommand.execute(
                new PrintStream(log, true, StandardCharsets.UTF_8),
                "--moe",
                "--quick",
                "--out",
                out.toString(),
                "--work-dir",
                dir.resolve("work").toString());

        assertThat(exit).as(log.toString(StandardCharsets.UTF_8)).isZero();
        String md = Files.readString(out);
        assertThat(md)
                .startsWith("# Experiments\n\nThe dense experiment's report.\n")
                .contains(
                        MoeReport.BEGIN,
                        MoeReport.END,
                        "## MoE: GSPO without routing replay",
                        "**Answer.**",
                        "### Calibration: the learning rate",
                        "### Calibrated regime",
                        "### Harsher regime (lr ",
                        "### Does routing move more in the harsher regime?",
                        "Paired comparisons");
        assertThat(md.lines().filter(l -> l.matches("\\| (0\\.0003|0\\.0001) \\|.*")))
                .as("one calibration row per swept lr")
                .hasSize(2);
        List<String> armRows = md.lines()
                .filter(l -> l.matches("\\| (gspo|grpo) \\| (yes|no) \\|.*"))
                .toList();
        assertThat(armRows).as("3 arms × 2 regimes").hasSize(6);
        for (String row : armRows) {
            String measures = row.substring(row.indexOf("] |") + 3); // past the clip range
            Matcher m = NUMBER.matcher(measures);
            int numbers = 0;
            while (m.find()) {
                assertThat(Double.parseDouble(m.group())).as(row).isFinite();
                numbers++;
            }
            assertThat(numbers).as(row).isGreaterThanOrEqualTo(9);
        }
        assertThat(armRows.get(0)).as("GSPO routes freely and its experts move").doesNotContain("| — |");
        for (String png : List.of(
                "moe-lr-sweep.png",
                "moe-reward.png",
                "moe-heldout.png",
                "moe-clip.png",
                "moe-experts.png",
                "moe-harsh-reward.png",
                "moe-harsh-heldout.png",
                "moe-harsh-clip.png",
                "moe-harsh-experts.png")) {
            Path file = out.getParent().resolve("experiments").resolve(png);
            assertThat(Files.readAllBytes(file)).startsWith(PNG_SIGNATURE);
            assertThat(md).contains("](experiments/" + png + ")\n\n`" + png + "`: `./gspo experiment --moe --quick");
        }
        assertThat(log.toString(StandardCharsets.UTF_8))
                .as("seed 1's GSPO run at lr* is the calibration's run at lr*")
                .contains("same run as before, reused");

        int rerender = ExperimentCommand.execute(
                new PrintStream(log, true, StandardCharsets.UTF_8),
                "--report-from",
                out.getParent().resolve("experiments/" + MoeReport.RESULTS).toString(),
                "--out",
                out.toString());
        assertThat(rerender).isZero();
        assertThat(Files.readString(out))
                .as("rendered again from moe-results.json, in place")
                .isEqualTo(md);

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        int resumed = ExperimentCommand.execute(
                new PrintStream(again, true, StandardCharsets.UTF_8),
                "--moe",
                "--quick",
                "--out",
                out.toString(),
                "--work-dir",
                dir.resolve("work").toString(),
                "--resume-from",
                dir.resolve("work").resolve(Experiment.PARTIAL).toString());
        String resumedLog = again.toString(StandardCharsets.UTF_8);
        assertThat(resumed).as(resumedLog).isZero();
        assertThat(resumedLog)
                .as("a finished experiment resumed trains nothing again")
                .doesNotContain("warm start of seed", "steps (run ")
                .contains("resuming: 1 warm start(s)");
        assertThat(resumedLog.lines().filter(l -> l.contains("same run as before, reused")))
                .as("2 calibration runs + 2 seeds × 6 arms")
                .hasSize(14);
    }

    @Test
    void theMoeSectionReplacesItsEarlierSelfAndIsFoundForTheDenseReportToKeep() {
        String doc = "# E\n\ndense\n";
        String once = MoeReport.withSection(doc, "moe v1\n");
        String twice = MoeReport.withSection(once, "moe v2\n");
        assertThat(twice).isEqualTo("# E\n\ndense\n\n" + MoeReport.BEGIN + "\nmoe v2\n" + MoeReport.END + "\n");
        assertThat(MoeReport.keptTail(twice)).isEqualTo(MoeReport.BEGIN + "\nmoe v2\n" + MoeReport.END + "\n");
        assertThat(MoeReport.keptTail(doc)).isEmpty();
    }

    @Test
    void aSectionKeptByHandAfterTheMoeSectionSurvivesBothReportsBeingWrittenAgain() {
        String lora = "## LoRA vs full fine-tuning\n\nhand-kept table\n";
        String doc = MoeReport.withSection("# E\n\ndense\n", "moe v1\n") + "\n" + lora;

        String moeAgain = MoeReport.withSection(doc, "moe v2\n");
        assertThat(moeAgain).contains("moe v2", lora).doesNotContain("moe v1");
        assertThat(MoeReport.keptTail(moeAgain))
                .as("what the dense report keeps")
                .startsWith(MoeReport.BEGIN)
                .contains("moe v2", lora)
                .doesNotContain("dense");
    }

    @Test
    void optionsOverrideThePresetAndTheRestKeepsIt() {
        ExperimentCommand command = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(command)
                .parseArgs("--quick", "--steps", "7", "--lr", "3e-4", "--grpo-sweep", "0.1,0.4");

        ExperimentConfig config = command.config(dir);

        ExperimentConfig quick = ExperimentConfig.quick(Path.of("docs/EXPERIMENTS.md"), dir);
        assertThat(config.steps()).isEqualTo(7);
        assertThat(config.learningRate()).isEqualTo(3e-4);
        assertThat(config.grpoSweep()).containsExactly(0.1, 0.4);
        assertThat(config.gspoSweep()).isEqualTo(quick.gspoSweep());
        assertThat(config.sftSteps()).isEqualTo(quick.sftSteps());
        assertThat(config.seeds()).isEqualTo(1);
    }
}
