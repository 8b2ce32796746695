package dev.gspo.common.model;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.chat.ChatTemplate;
import dev.gspo.common.hash.Sha256;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import dev.gspo.common.tokenizer.TokenizerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A policy in the Hugging Face layout: {@code config.json} + {@code model.safetensors} + {@code tokenizer.json}, and
 * the other tokenizer files a model may have ({@link #TOKENIZER_FILES}: {@code tokenizer_config.json} with the chat
 * template, …), which {@link #save} copies along.
 *
 * <p>Owns its weights (closed by {@link #close()}); the tokenizer is shared by every weight version of a model and is
 * not closed here — whoever loaded it closes it (see {@link #load(Path, NDManager)}).
 */
public final class PolicyModel implements AutoCloseable {
    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** Every tokenizer file of a Hugging Face model directory that {@link #save} keeps when the source has it. */
    public static final List<String> TOKENIZER_FILES = List.of(
            TOKENIZER_FILE,
            TokenizerConfig.FILE_NAME,
            TokenizerConfig.TEMPLATE_FILE_NAME,
            "special_tokens_map.json",
            "added_tokens.json",
            "vocab.json",
            "merges.txt",
            "tokenizer.model");

    private final ModelConfig config;
    private final PolicyWeights weights;
    private final Transformer transformer;
    private final PolicyTokenizer tokenizer;
    private final Path tokenizerJson;
    private final Optional<ChatTemplate> chatTemplate;
    private final LoraWeights lora;

    private PolicyModel(
            ModelConfig config,
            PolicyWeights weights,
            PolicyTokenizer tokenizer,
            Path tokenizerJson,
            Optional<ChatTemplate> chatTemplate) {
        this(config, weights, tokenizer, tokenizerJson, chatTemplate, null);
    }

    private PolicyModel(
            ModelConfig config,
            PolicyWeights weights,
            PolicyTokenizer tokenizer,
            Path tokenizerJson,
            Optional<ChatTemplate> chatTemplate,
            LoraWeights lora) {
        this.config = config;
        this.weights = weights;
        this.lora = lora;
        this.transformer = new Transformer(config, weights, lora);
        this.tokenizer = tokenizer;
        this.tokenizerJson = tokenizerJson;
        this.chatTemplate = chatTemplate;
    }

    /** Loads a model directory; the returned model's tokenizer is new and must be closed by the caller when done. */
    public static PolicyModel load(Path dir, NDManager parent) {
        for (String f : List.of(CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new InvalidModelException("model directory " + dir + " has no " + f);
            }
        }
        ModelConfig config = ModelConfig.read(dir.resolve(CONFIG_FILE));
        PolicyWeights.requireOneBody(config); // before reading weights that could not be served or published
        Map<String, Safetensors.Tensor> tensors = Safetensors.read(dir.resolve(WEIGHTS_FILE));
        Optional<ChatTemplate> template = chatTemplate(dir);
        PolicyTokenizer tokenizer = loadTokenizer(dir, config);
        try {
            return new PolicyModel(
                    config,
                    PolicyWeights.fromTensors(config, tensors, parent),
                    tokenizer,
                    dir.resolve(TOKENIZER_FILE),
                    template);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    /**
     * Creates a model with freshly initialised weights, as HF's {@code _init_weights} does: linear and embedding
     * weights ~ N(0, 0.02²), biases 0, norm weights 1. The seed makes it reproducible across machines (the numbers
     * come from a Java RNG, not from the native engine).
     */
    public static PolicyModel create(ModelConfig config, Path tokenizerJson, long seed, NDManager parent) {
        PolicyWeights.requireOneBody(config);
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Safetensors.Tensor> tensors = new java.util.LinkedHashMap<>();
        for (TensorSpec spec : config.architecture().tensors(config)) {
            float[] data = new float[Math.toIntExact(spec.elementCount())];
            if (spec.name().endsWith("norm.weight")) {
                java.util.Arrays.fill(data, 1f);
            } else if (!spec.name().endsWith(".bias")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (0.02 * rng.nextGaussian());
                }
            }
            tensors.put(spec.name(), Safetensors.Tensor.f32(spec.name(), spec.shape(), data));
        }
        Optional<ChatTemplate> template = chatTemplate(tokenizerJson.getParent());
        PolicyWeights weights = PolicyWeights.fromTensors(config, tensors, parent);
        return new PolicyModel(
                config, weights, loadTokenizer(tokenizerJson.getParent(), config), tokenizerJson, template);
    }

    /**
     * The chat template of a model directory ({@code tokenizer_config.json} or {@code chat_template.jinja}), if it has
     * one; what a run checks before it accepts a chat dataset for the model.
     *
     * @throws InvalidModelException if a tokenizer config file is there but unreadable
     */
    public static Optional<ChatTemplate> chatTemplate(Path dir) {
        try {
            return ChatTemplate.of(TokenizerConfig.read(dir));
        } catch (IOException e) {
            throw new InvalidModelException("cannot read the tokenizer config in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The tokenizer of a model directory; config.json's first eos_token_id wins over the tokenizer's own guess. */
    private static PolicyTokenizer loadTokenizer(Path dir, ModelConfig config) {
        try {
            PolicyTokenizer tokenizer = config.eosTokenIds().isEmpty()
                    ? PolicyTokenizer.load(dir)
                    : PolicyTokenizer.load(dir, config.eosTokenIds().getFirst());
            if (tokenizer.vocabSize() > config.vocabSize()) {
                int size = tokenizer.vocabSize();
                tokenizer.close();
                throw new InvalidModelException(dir.resolve(TOKENIZER_FILE) + " has " + size
                        + " tokens but config.json's vocab_size is " + config.vocabSize());
            }
            return tokenizer;
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidModelException("cannot load " + dir.resolve(TOKENIZER_FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * A new model with the same config and tokenizer and the given weights; the bytes are validated (names, shapes,
     * dtypes, finiteness) before any native memory is allocated, so a bad set leaves nothing behind.
     */
    public PolicyModel withWeights(Map<String, Safetensors.Tensor> tensors, NDManager parent) {
        return new PolicyModel(
                config, PolicyWeights.fromTensors(config, tensors, parent), tokenizer, tokenizerJson, chatTemplate);
    }

    /**
     * A new model with the same config and tokenizer, built straight from a safetensors buffer (F32, checked for names
     * and shapes, and every value for finiteness while it is copied: {@link NonFiniteWeightsException}). Nothing is
     * left allocated if it fails.
     */
    public PolicyModel withWeights(SafetensorsView safetensors, NDManager parent) {
        return new PolicyModel(
                config,
                PolicyWeights.fromSafetensors(config, safetensors, parent),
                tokenizer,
                tokenizerJson,
                chatTemplate);
    }

    /**
     * As {@link #withWeights(SafetensorsView, NDManager)}, refilling the storage of {@code retired} when it fits
     * instead of allocating new storage ({@link PolicyWeights#fromSafetensors(ModelConfig, SafetensorsView, NDManager,
     * PolicyWeights)}: {@code retired} is handed over and must not be used by the caller any more, except that a
     * {@link NonFiniteWeightsException} hands it back).
     */
    public PolicyModel withWeights(SafetensorsView safetensors, NDManager parent, PolicyWeights retired) {
        return new PolicyModel(
                config,
                PolicyWeights.fromSafetensors(config, safetensors, parent, retired),
                tokenizer,
                tokenizerJson,
                chatTemplate);
    }

    /**
     * Writes the HF files into {@code dir} (created if missing): config and weights written whole, then renamed; every
     * tokenizer file of {@link #TOKENIZER_FILES} that the model's own directory has is copied.
     */
    public void save(Path dir) {
        saveWithoutWeights(dir);
        try {
            Path tmp = Files.createTempFile(dir, ".weights", ".tmp");
            Files.write(tmp, weightsAsSafetensors());
            Files.move(
                    tmp,
                    dir.resolve(WEIGHTS_FILE),
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * What {@link #save} writes except {@code model.safetensors}: {@code config.json} and the tokenizer files (a LoRA
     * checkpoint keeps these beside its adapter, its base weights live elsewhere).
     */
    public void saveWithoutWeights(Path dir) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".config", ".tmp");
            config.write(tmp);
            Files.move(
                    tmp, dir.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            for (String name : TOKENIZER_FILES) {
                Path source = name.equals(TOKENIZER_FILE) ? tokenizerJson : tokenizerJson.resolveSibling(name);
                Path target = dir.resolve(name);
                if (Files.isRegularFile(source) && (!Files.exists(target) || !Files.isSameFile(target, source))) {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save model to " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * This model with LoRA adapters over its weights, which become the frozen base (no gradient is computed for them
     * from now on). The returned model owns the adapters (its {@link #close()} frees them) and shares this model's
     * weights and tokenizer, which this model still owns: close the adapted model first, then this one. Its forward
     * adds the adapters ({@link Transformer}); its trainable parameters are the adapters' A and B.
     */
    public PolicyModel withLora(LoraWeights adapters) {
        if (lora != null) {
            throw new IllegalStateException("the model already has LoRA adapters");
        }
        weights.parameters().forEach(p -> p.setRequiresGradient(false));
        return new PolicyModel(config, weights, tokenizer, tokenizerJson, chatTemplate, adapters);
    }

    /** The adapters, when this is a LoRA model. */
    public Optional<LoraWeights> lora() {
        return Optional.ofNullable(lora);
    }

    /** What training updates: the adapters' A and B for a LoRA model (the base stays frozen), else every weight. */
    public Map<String, ai.djl.ndarray.NDArray> trainableParameters() {
        return lora != null ? lora.byName() : weights.byName();
    }

    /**
     * The weights the model computes with, as one safetensors buffer: the base weights, or for a LoRA model the base
     * with every adapter merged in, W + (α/r)·B A (what a replica serves for it).
     */
    public byte[] mergedWeightsAsSafetensors() {
        if (lora == null) {
            return weightsAsSafetensors();
        }
        try (PolicyWeights merged = lora.mergeInto(config, weights, weights.manager())) {
            return merged.toSafetensors(PolicyWeights.SAFETENSORS_METADATA);
        }
    }

    /** The weights as one safetensors buffer (what the optimizer publishes and a replica serves; a LoRA model's base). */
    public byte[] weightsAsSafetensors() {
        return weights.toSafetensors(PolicyWeights.SAFETENSORS_METADATA);
    }

    /** Lower-case hex SHA-256 of {@code bytes} ({@link Sha256}: AWS-LC's where it loads, else the JDK's). */
    public static String sha256(byte[] bytes) {
        return Sha256.hex(bytes);
    }

    public ModelConfig config() {
        return config;
    }

    public PolicyWeights weights() {
        return weights;
    }

    public Transformer transformer() {
        return transformer;
    }

    public PolicyTokenizer tokenizer() {
        return tokenizer;
    }

    public Path tokenizerJson() {
        return tokenizerJson;
    }

    /** The chat template from the model directory's tokenizer config, if the model has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplate;
    }

    /**
     * Closes everything this model owns except its weights, which the caller now owns (to refill them for the next
     * version, {@link #withWeights(SafetensorsView, NDManager, PolicyWeights)}); a LoRA model does not own its base
     * weights, so it closes its adapters and returns null.
     */
    public PolicyWeights closeExceptWeights() {
        transformer.close();
        if (lora != null) {
            lora.close();
            return null;
        }
        return weights;
    }

    @Override
    public void close() {
        transformer.close();
        if (lora != null) {
            lora.close(); // the base weights belong to the model the adapters were attached to
            return;
        }
        weights.close();
    }
}
