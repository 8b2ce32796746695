package dev.gspo.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus' {@code promtool}. A missing promtool is a test FAILURE, never a skip: install Debian's
 * {@code prometheus} package (CI's .ci/run does) or point {@code PROMTOOL} at the binary.
 */
final class Promtool {
    record Result(int exitCode, String output) {}

    private Promtool() {}

    static Path executable() {
        String configured = System.getenv("PROMTOOL");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (Files.isExecutable(p)) {
                return p;
            }
            fail("PROMTOOL=" + configured + " is not an executable file");
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, "promtool");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        Path debian = Path.of("/usr/bin/promtool");
        if (Files.isExecutable(debian)) {
            return debian;
        }
        return fail("promtool not found on PATH. Install Debian's 'prometheus' package "
                + "(apt-get install -y prometheus), which provides /usr/bin/promtool, or set PROMTOOL to its path. "
                + "These checks are not skipped without it.");
    }

    static Result run(Path workingDirectory, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(executable().toString());
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command)
                    .directory(workingDirectory.toFile())
                    .redirectErrorStream(true)
                    .start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("promtool " + String.join(" ", arguments) + " did not finish in 60 s");
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return fail("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted", e);
        }
    }
}
