package dev.gspo.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository checkout these tests check: found upwards from the working directory (the module's basedir). */
final class Repo {
    static final Path ROOT = findRoot();

    private Repo() {}

    static Path path(String relative) {
        return ROOT.resolve(relative).normalize();
    }

    static String read(String relative) {
        return read(path(relative));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ROOT.relativize(file.toAbsolutePath()), e);
        }
    }

    /** {@code file} relative to the repository root, with forward slashes, for messages. */
    static String relative(Path file) {
        return ROOT.relativize(file.toAbsolutePath().normalize()).toString().replace('\\', '/');
    }

    private static Path findRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("deployment-tests"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root (pom.xml beside deployment-tests/) above "
                + Path.of("").toAbsolutePath());
    }
}
