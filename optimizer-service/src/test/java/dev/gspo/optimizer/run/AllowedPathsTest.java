package dev.gspo.optimizer.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllowedPathsTest {
    @TempDir
    Path dir;

    private Path data;
    private Path models;
    private Path runs;
    private Path outside;
    private AllowedPaths paths;

    @BeforeEach
    void folders() throws Exception {
        data = Files.createDirectories(dir.resolve("data"));
        models = Files.createDirectories(dir.resolve("models"));
        runs = Files.createDirectories(dir.resolve("runs"));
        outside = Files.writeString(dir.resolve("secret.txt"), "e3b0c44298fc1c149afbf4c8996fb924\n");
        paths = new AllowedPaths(List.of(data), List.of(models), runs);
    }

    @Test
    void aDataFileInsideTheDataFoldersIsItsRealPath() throws Exception {
        Path file = Files.writeString(data.resolve("train.jsonl"), "{}\n");
        AllowedPaths.Checked c = paths.dataFile("taskParams.path", file.toString());
        assertThat(c.ok()).as(c.problem()).isTrue();
        assertThat(c.path()).isEqualTo(file.toRealPath());
    }

    @Test
    void aFileOutsideOrReachedByDotDotIsRefusedNamingTheProperty() {
        for (String p : List.of(outside.toString(), data + "/../secret.txt", "/etc/shadow", "/etc/../etc/passwd")) {
            AllowedPaths.Checked c = paths.dataFile("taskParams.path", p);
            assertThat(c.ok()).as(p).isFalse();
            assertThat(c.problem()).as(p).contains("taskParams.path", "outside", "gspo.optimizer.data-dirs");
        }
    }

    @Test
    void aLinkInsideThatPointsOutsideIsRefused() throws Exception {
        Path link = Files.createSymbolicLink(data.resolve("innocent.jsonl"), outside);
        Path dirLink = Files.createSymbolicLink(data.resolve("etc"), Path.of("/etc"));
        assertThat(paths.dataFile("taskParams.path", link.toString()).problem()).contains("link", "outside");
        assertThat(paths.dataFile("taskParams.path", dirLink.resolve("passwd").toString())
                        .problem())
                .contains("outside");
    }

    @Test
    void nothingOutsideIsProbedForExistence() {
        assertThat(paths.dataFile("taskParams.path", dir.resolve("no-such-file").toString())
                        .problem())
                .contains("outside")
                .doesNotContain("does not exist");
        assertThat(paths.dataFile(
                                "taskParams.path", data.resolve("no-such-file").toString())
                        .problem())
                .contains("does not exist");
    }

    @Test
    void withoutDataFoldersNoDataFileIsAllowed() throws Exception {
        Path file = Files.writeString(data.resolve("train.jsonl"), "{}\n");
        AllowedPaths none = AllowedPaths.checkpointsOnly(runs);
        assertThat(none.dataFile("taskParams.path", file.toString()).ok()).isFalse();
        assertThat(none.modelDir("model", models.toString()).ok()).isFalse();
    }

    @Test
    void modelsMayComeFromTheModelFoldersOrTheCheckpointFolderButNotLinkOut() throws Exception {
        Path model = Files.createDirectories(models.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{}");
        Path checkpoint = Files.createDirectories(runs.resolve("run-1/checkpoints/step-000002"));
        assertThat(paths.modelDir("model", model.toString()).ok()).isTrue();
        assertThat(paths.modelDir("model", checkpoint.toString()).ok()).isTrue();
        assertThat(paths.checkpointDir("resumeFrom", checkpoint.toString()).ok())
                .isTrue();
        assertThat(paths.modelDir("model", data.toString()).ok()).isFalse();

        Path leaky = Files.createDirectories(models.resolve("leaky"));
        Files.createSymbolicLink(leaky.resolve("config.json"), outside);
        assertThat(paths.modelDir("model", leaky.toString()).problem()).contains("config.json", "outside");
    }
}
