package dev.gspo.common.model;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** Small random models for tests, built from a checked-in 16-token WordLevel tokenizer. */
public final class TestModels {
    public static final Path TOKENIZER_DIR = resource("tokenizers/wordlevel-16");

    private TestModels() {}

    /**
     * qwen3 and qwen3_moe get head_dim 12, unlike hidden / heads, as real Qwen3 checkpoints do; qwen3_moe has 4
     * experts of width 16, top-2 renormalised, in both layers.
     */
    public static ModelConfig config(String type, int heads, int kvHeads, boolean tied) {
        boolean qwen3 = type.startsWith("qwen3");
        return new ModelConfig(
                type,
                16,
                32,
                64,
                2,
                heads,
                kvHeads,
                qwen3 ? 12 : 32 / heads,
                10000.0,
                1e-6,
                64,
                tied,
                type.equals("qwen2"),
                1,
                List.of(2),
                type.equals("qwen3_moe") ? new MoeConfig(4, 2, 16, true, 1, List.of()) : null);
    }

    /** Weights ~ N(0, 0.02²) are nearly uniform; tests of the math want sharper logits, so scale them up. */
    public static PolicyModel random(NDManager manager, ModelConfig config, long seed) {
        try (PolicyModel base = PolicyModel.create(config, TOKENIZER_DIR.resolve("tokenizer.json"), seed, manager)) {
            var tensors = new java.util.LinkedHashMap<String, Safetensors.Tensor>();
            java.util.SplittableRandom rng = new java.util.SplittableRandom(seed + 1);
            for (Safetensors.Tensor t : base.weights().toTensors()) {
                float[] d = t.data().clone();
                boolean norm = t.name().endsWith("norm.weight");
                for (int i = 0; i < d.length; i++) {
                    d[i] = norm ? (float) (1 + 0.1 * rng.nextGaussian()) : (float) (0.25 * rng.nextGaussian());
                }
                tensors.put(t.name(), Safetensors.Tensor.f32(t.name(), t.shape(), d));
            }
            return base.withWeights(tensors, manager);
        }
    }

    /**
     * A random-weight qwen3 model with Qwen3's real vocabulary and chat template ({@link
     * dev.gspo.common.testing.Qwen3Tokenizer}) and a tiny body (2 layers, tied embeddings; the embedding alone is
     * 151,669 × {@code hidden}), written to {@code dir} as a Hugging Face model directory. eos: {@code <|im_end|>} and
     * {@code <|endoftext|>}, as Qwen3's instruct models.
     */
    public static void writeQwen3Chat(Path dir, int hidden, long seed) throws java.io.IOException {
        dev.gspo.common.testing.Qwen3Tokenizer.copyInto(dir);
        int vocab =
                dev.gspo.common.testing.Qwen3Tokenizer.BPE_TOKENS + dev.gspo.common.testing.Qwen3Tokenizer.ADDED_TOKENS;
        ModelConfig config = new ModelConfig(
                "qwen3",
                vocab,
                hidden,
                2 * hidden,
                2,
                2,
                1,
                8,
                1_000_000.0,
                1e-6,
                512,
                true,
                false,
                null,
                List.of(151645, 151643));
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.create(config, dir.resolve("tokenizer.json"), seed, manager)) {
            model.save(dir);
            model.tokenizer().close();
        }
    }

    /**
     * A test resource as a file or folder on disk. From another module the resource lies inside common's test jar: it
     * is then copied, once, to a temporary folder (DJL's tokenizer reads real files).
     */
    public static Path resource(String name) {
        try {
            java.net.URI uri =
                    TestModels.class.getClassLoader().getResource(name).toURI();
            if (uri.getScheme().equals("file")) {
                return Paths.get(uri);
            }
            Path target = java.nio.file.Files.createTempDirectory("gspo-test-resource-")
                    .resolve(name);
            try (java.nio.file.FileSystem jar = java.nio.file.FileSystems.newFileSystem(uri, java.util.Map.of());
                    java.util.stream.Stream<Path> files =
                            java.nio.file.Files.walk(jar.provider().getPath(uri))) {
                Path root = jar.provider().getPath(uri);
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path out = target.resolve(root.relativize(f).toString());
                    if (java.nio.file.Files.isDirectory(f)) {
                        java.nio.file.Files.createDirectories(out);
                    } else {
                        java.nio.file.Files.createDirectories(out.getParent());
                        java.nio.file.Files.copy(f, out);
                    }
                }
            }
            return target;
        } catch (Exception e) {
            throw new IllegalStateException("test resource " + name + " missing", e);
        }
    }
}
