package dev.gspo.common.task;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * A task read from JSONL files ({@link JsonlExamples} describes the formats: text prompts, or chat conversations that
 * the model's chat template renders), scored by
 * {@link NormalizedExactMatchReward}: prompt {@code "Capital of France?"}, answer {@code "Paris"},
 * ideal completion {@code "Paris\n"}; {@code " paris. "} also scores 1.
 *
 * <p>Held-out split, two ways:
 * <ul>
 *   <li>by fraction: a row is held out iff {@link StableHash#unit}{@code (}{@link StableHash#of}
 *       {@code (prompt)) < fraction}, so the split depends only on the prompt text (not on row
 *       order or file edits elsewhere) and duplicate prompts land on the same side;</li>
 *   <li>by a second file: all its rows are held out, and training rows with a prompt that also
 *       appears there are dropped, so the two stay disjoint.</li>
 * </ul>
 * With fraction 0 and no second file the held-out set is empty.
 */
public final class JsonlTask implements Task {

    public static final String NAME = "jsonl";

    private final List<TaskExample> training;
    private final List<TaskExample> heldOut;

    JsonlTask(List<TaskExample> training, List<TaskExample> heldOut) {
        if (training.isEmpty()) {
            throw new IllegalArgumentException("no training examples left after the held-out split");
        }
        if (!heldOut.isEmpty()
                && heldOut.getFirst().isChat() != training.getFirst().isChat()) {
            throw new IllegalArgumentException("the held-out file and the training file must have the same format"
                    + " (both \"prompt\" or both \"messages\" lines)");
        }
        this.training = List.copyOf(training);
        this.heldOut = List.copyOf(heldOut);
    }

    /** Reads {@code file} and holds out the fraction {@code heldOutFraction} ∈ [0, 1) of prompts. */
    public static JsonlTask load(Path file, double heldOutFraction) throws IOException {
        if (!(heldOutFraction >= 0.0 && heldOutFraction < 1.0)) {
            throw new IllegalArgumentException("heldOutFraction must be in [0, 1), got " + heldOutFraction);
        }
        List<TaskExample> training = new ArrayList<>();
        List<TaskExample> heldOut = new ArrayList<>();
        for (TaskExample example : JsonlExamples.read(file)) {
            boolean held = StableHash.unit(StableHash.of(example.prompt())) < heldOutFraction;
            (held ? heldOut : training).add(example);
        }
        if (training.isEmpty()) {
            throw new IllegalArgumentException(
                    file + ": every example fell into the held-out split (fraction " + heldOutFraction + ")");
        }
        return new JsonlTask(training, heldOut);
    }

    /** Trains on {@code file} and evaluates on {@code heldOutFile}, dropping shared prompts from training. */
    public static JsonlTask load(Path file, Path heldOutFile) throws IOException {
        List<TaskExample> heldOut = JsonlExamples.read(heldOutFile);
        Set<String> heldPrompts = new HashSet<>();
        heldOut.forEach(e -> heldPrompts.add(e.prompt()));
        List<TaskExample> training = JsonlExamples.read(file).stream()
                .filter(e -> !heldPrompts.contains(e.prompt()))
                .toList();
        if (training.isEmpty()) {
            throw new IllegalArgumentException(file + ": every prompt also appears in " + heldOutFile);
        }
        return new JsonlTask(training, heldOut);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The training rows, in file order. */
    public List<TaskExample> training() {
        return training;
    }

    /** Uniform draws with replacement from the training rows. */
    @Override
    public List<TaskExample> sample(int n, RandomGenerator rng) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        List<TaskExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(training.get(rng.nextInt(training.size())));
        }
        return List.copyOf(out);
    }

    @Override
    public List<TaskExample> heldOut() {
        return heldOut;
    }

    /** Whether the dataset is in chat format ({@code "messages"} lines). */
    @Override
    public boolean usesChatMessages() {
        return training.getFirst().isChat();
    }

    @Override
    public RewardFunction rewardFunction() {
        return NormalizedExactMatchReward.INSTANCE;
    }
}
