package dev.gspo.optimizer.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes a folder refuse writes even from root, which {@code chmod} cannot (the tests run as root): a read-only bind
 * mount of the folder onto itself (the same error a read-only volume gives: {@code Read-only file system}). Where
 * mounting is not permitted, the folder is moved aside and a regular file takes its place (every write under it then
 * fails with {@code Not a directory}). {@link #close()} undoes either.
 */
public final class ReadOnlyFolder implements AutoCloseable {
    private final Path folder;
    private final Path movedTo;

    private ReadOnlyFolder(Path folder, Path movedTo) {
        this.folder = folder;
        this.movedTo = movedTo;
    }

    public static ReadOnlyFolder of(Path folder) throws IOException, InterruptedException {
        if (run("mount", "--bind", folder.toString(), folder.toString())) {
            if (run("mount", "-o", "remount,bind,ro", folder.toString(), folder.toString()) && refusesWrites(folder)) {
                return new ReadOnlyFolder(folder, null);
            }
            run("umount", "-l", folder.toString());
        }
        Path moved = folder.resolveSibling(folder.getFileName() + ".moved-aside");
        Files.move(folder, moved);
        Files.writeString(folder, "a file where the folder was\n");
        return new ReadOnlyFolder(folder, moved);
    }

    /** {@code read-only bind mount} or {@code folder replaced by a file}. */
    public String mechanism() {
        return movedTo == null ? "read-only bind mount" : "folder replaced by a file";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (movedTo == null) {
            if (!run("umount", folder.toString())) {
                run("umount", "-l", folder.toString());
            }
        } else {
            Files.delete(folder);
            Files.move(movedTo, folder);
        }
    }

    private static boolean refusesWrites(Path folder) {
        try {
            Files.delete(Files.writeString(folder.resolve(".write-probe"), "x"));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }
}
