package dev.gspo.optimizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.optimizer.support.ServiceProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's walk-through of a run's life over HTTP (the fenced block marked {@code bash walkthrough} in "A run's
 * life over HTTP") is run verbatim with {@code bash -euo pipefail} against the two real service jars, started with the
 * JVM flags of "Running the jars directly", in an empty folder (the export writes its zip there); the only inputs are
 * the variables the README names, {@code OPTIMIZER} and {@code TOKEN}. Every {@code curl -f} in it fails the script on
 * an error answer, every wait has the test's timeout; the exported zip must be a zip of the run's model.
 */
class ReadmeWalkthroughProcessIT {
    private static final Pattern BLOCK = Pattern.compile("(?s)\n```bash walkthrough\n(.*?)\n```\n");
    private static final String PUSH = "walkthrough-push-token";
    private static final String CONTROL = "walkthrough-control-token";

    static String walkthrough() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        Matcher m = BLOCK.matcher(readme);
        assertThat(m.find()).as("README.md has a ```bash walkthrough block").isTrue();
        return m.group(1) + "\n";
    }

    @Test
    void theReadmesRunLifeWalkthroughRunsAgainstTheRealServices(@TempDir Path dir) throws Exception {
        String script = walkthrough();
        List<String> jvm = List.of("-Xmx1g", "-XX:+UseSerialGC");
        try (ServiceProcess replica = ServiceProcess.start(
                        "rollout-service", dir, jvm, "--gspo.rollout.push-token=" + PUSH, "--gspo.rollout.seed=1");
                ServiceProcess optimizer = ServiceProcess.start(
                        "optimizer-service",
                        dir,
                        jvm,
                        "--gspo.optimizer.rollout-urls=http://127.0.0.1:" + replica.port(),
                        "--gspo.optimizer.push-token=" + PUSH,
                        "--gspo.optimizer.control-token=" + CONTROL,
                        "--gspo.optimizer.checkpoint-dir=" + dir.resolve("runs"))) {
            Path file = dir.resolve("walkthrough.sh");
            Files.writeString(file, script);
            ProcessBuilder bash = new ProcessBuilder("bash", "-euo", "pipefail", file.toString())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("walkthrough.log").toFile());
            bash.environment().put("OPTIMIZER", "http://127.0.0.1:" + optimizer.port());
            bash.environment().put("TOKEN", CONTROL);
            Process p = bash.start();
            boolean done = p.waitFor(5, TimeUnit.MINUTES);
            if (!done) {
                p.destroyForcibly();
            }
            String out = Files.readString(dir.resolve("walkthrough.log"), StandardCharsets.UTF_8);
            assertThat(done).as("the walk-through finished: %s", out).isTrue();
            assertThat(p.exitValue())
                    .as("the walk-through's exit status: %s", out)
                    .isZero();
            Matcher stopped = Pattern.compile("stopped at step (\\d+)").matcher(out);
            assertThat(stopped.find()).as(out).isTrue();
            long stopStep = Long.parseLong(stopped.group(1));
            assertThat(out)
                    .as("dry run, start, poll, stop, resume to 2 more steps, export, metrics of every step")
                    .startsWith("true\n")
                    .contains("started run-", "running\n")
                    .containsIgnoringCase("x-checkpoint-step: " + (stopStep + 2))
                    .contains("completed at step " + (stopStep + 2))
                    .endsWith((stopStep + 2) + "\n");
            try (var zip = new java.util.zip.ZipFile(Files.list(dir)
                    .filter(f -> f.toString().endsWith(".zip"))
                    .findFirst()
                    .orElseThrow()
                    .toFile())) {
                assertThat(zip.stream().map(java.util.zip.ZipEntry::getName))
                        .as("the exported zip")
                        .contains("config.json", "model.safetensors");
            }
        }
    }
}
