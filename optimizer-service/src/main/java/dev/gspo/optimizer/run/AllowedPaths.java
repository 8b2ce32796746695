package dev.gspo.optimizer.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The folders a run config may name files in: data files ({@code taskParams.path}, {@code heldOutPath}) under the data
 * folders, model directories under the model folders or the checkpoint folder, a checkpoint to resume under the
 * checkpoint folder or the model folders. A path is normalised and checked before anything looks at it (so nothing
 * outside is even probed for existence), then its symbolic links are resolved and the real path is checked again (a
 * link inside a folder that points out of it is refused).
 *
 * <p>Each answer is either the real path or a problem naming the field and the property that would allow it.
 */
public final class AllowedPaths {
    private final List<Path> dataRoots;
    private final List<Path> modelRoots;
    private final List<Path> checkpointRoots;

    /** @param dataDirs  {@code gspo.optimizer.data-dirs}; @param modelDirs {@code gspo.optimizer.model-dirs} */
    public AllowedPaths(List<Path> dataDirs, List<Path> modelDirs, Path checkpointDir) {
        this.dataRoots = List.copyOf(dataDirs);
        List<Path> models = new ArrayList<>(modelDirs);
        models.add(checkpointDir);
        this.modelRoots = List.copyOf(models);
        List<Path> checkpoints = new ArrayList<>(List.of(checkpointDir));
        checkpoints.addAll(modelDirs);
        this.checkpointRoots = List.copyOf(checkpoints);
    }

    /** Only the built-in tasks and models: nothing can be read from disk but the checkpoint folder. */
    public static AllowedPaths checkpointsOnly(Path checkpointDir) {
        return new AllowedPaths(List.of(), List.of(), checkpointDir);
    }

    /** A path is either allowed (its real path) or refused with a problem "field: why". */
    public record Checked(Path path, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    public Checked dataFile(String field, String value) {
        return check(field, value, dataRoots, "gspo.optimizer.data-dirs");
    }

    /** A directory whose files (a model's, a checkpoint's) must also really lie in the allowed folders. */
    public Checked modelDir(String field, String value) {
        return withFiles(check(field, value, modelRoots, "gspo.optimizer.model-dirs"), field, modelRoots);
    }

    public Checked checkpointDir(String field, String value) {
        return withFiles(
                check(field, value, checkpointRoots, "gspo.optimizer.checkpoint-dir or gspo.optimizer.model-dirs"),
                field,
                checkpointRoots);
    }

    /** A Hugging Face cache links a snapshot's files to blobs elsewhere: fine while those are in the folders too. */
    private static Checked withFiles(Checked dir, String field, List<Path> roots) {
        if (!dir.ok()) {
            return dir;
        }
        try (Stream<Path> files = Files.list(dir.path())) {
            for (Path f : files.toList()) {
                Path real = f.toRealPath();
                if (roots.stream().noneMatch(r -> real.startsWith(real(r)))) {
                    return new Checked(
                            null,
                            field + ": " + f.getFileName() + " in it links to a place outside the allowed folders");
                }
            }
        } catch (IOException | SecurityException e) {
            return new Checked(
                    null,
                    field + ": its files cannot be listed (" + e.getClass().getSimpleName() + ")");
        }
        return dir;
    }

    private static Checked check(String field, String value, List<Path> roots, String property) {
        Path given;
        try {
            given = Path.of(value).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return new Checked(null, field + ": not a valid path");
        }
        String outside = field + ": '" + value + "' is outside the folders " + property + " allows " + roots;
        if (roots.stream().noneMatch(r -> given.startsWith(lexical(r)))) {
            return new Checked(null, outside);
        }
        Path real;
        try {
            real = given.toRealPath();
        } catch (NoSuchFileException e) {
            return new Checked(null, field + ": '" + value + "' does not exist");
        } catch (IOException | SecurityException e) {
            return new Checked(
                    null,
                    field + ": '" + value + "' cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        if (roots.stream().noneMatch(r -> real.startsWith(real(r)))) {
            return new Checked(null, outside + " (it is a link to a place outside them)");
        }
        return new Checked(real, null);
    }

    private static Path lexical(Path root) {
        return root.toAbsolutePath().normalize();
    }

    /** A root's real path; a root that does not exist (yet) as written, normalised. */
    private static Path real(Path root) {
        try {
            return lexical(root).toRealPath();
        } catch (IOException | SecurityException e) {
            return lexical(root);
        }
    }
}
