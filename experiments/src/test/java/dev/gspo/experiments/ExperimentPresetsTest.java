package dev.gspo.experiments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentPresetsTest {
    @TempDir
    Path dir;

    @Test
    void theShippedPresetsHoldTheSettingsTheReportsWereMadeWith() {
        Path out = dir.resolve("E.md");
        ExperimentConfig dense = ExperimentConfig.full(out, dir);
        ExperimentConfig moe = ExperimentConfig.moe(out, dir);

        assertThat(dense)
                .isEqualTo(new ExperimentConfig(
                        3,
                        1,
                        70,
                        32,
                        8,
                        4,
                        1e-4,
                        0.7,
                        6,
                        1,
                        600,
                        64,
                        3e-3,
                        10,
                        200,
                        8,
                        0.03,
                        List.of(3e-4, 2e-3, 1e-2, 5e-2),
                        List.of(0.1, 0.2, 0.3),
                        out,
                        dir,
                        "builtin"));
        assertThat(moe)
                .isEqualTo(new ExperimentConfig(
                        5, 1, 150, 32, 8, 4, 3e-4, 0.7, 6, 1, 600, 64, 3e-3, 10, 200, 8, 0.03, List.of(), List.of(),
                        out, dir, "moe"));
        assertThat(ExperimentConfig.quick(out, dir).steps()).isEqualTo(4);
        assertThat(ExperimentConfig.moeQuick(out, dir).seeds()).isEqualTo(2);
    }

    @Test
    void aPresetFileReplacesTheShippedOneAndOptionsStillOverrideIt() throws Exception {
        Path preset = dir.resolve("mine.json");
        Files.writeString(
                preset,
                new String(ExperimentConfig.class
                                .getResourceAsStream("/presets/dense.json")
                                .readAllBytes())
                        .replace("\"steps\": 70", "\"steps\": 12"));
        ExperimentCommand command = new ExperimentCommand(System.out, "test");
        new picocli.CommandLine(command).parseArgs("--preset", preset.toString(), "--seeds", "2");

        ExperimentConfig config = command.config(dir);

        assertThat(config.steps()).isEqualTo(12);
        assertThat(config.seeds()).isEqualTo(2);
        assertThat(config.promptsPerStep()).isEqualTo(32);
    }

    @Test
    void aPresetThatLeavesASettingOutOrMisspellsOneIsRefused() throws Exception {
        Path partial = Files.writeString(dir.resolve("partial.json"), "{\"seeds\": 2}");
        Path misspelt = dir.resolve("misspelt.json");
        Files.writeString(
                misspelt,
                new String(ExperimentConfig.class
                                .getResourceAsStream("/presets/dense.json")
                                .readAllBytes())
                        .replace("\"window\"", "\"windw\""));

        assertThatThrownBy(() -> ExperimentConfig.preset(partial, dir, dir))
                .hasMessageContaining("does not set [firstSeed, steps");
        assertThatThrownBy(() -> ExperimentConfig.preset(misspelt, dir, dir)).hasMessageContaining("window");
    }
}
