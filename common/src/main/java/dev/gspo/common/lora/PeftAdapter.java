package dev.gspo.common.lora;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gspo.common.model.InvalidModelException;
import dev.gspo.common.model.LoraConfig;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.Safetensors;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter in PEFT's directory layout, as {@code PeftModel.save_pretrained} writes it and
 * {@code PeftModel.from_pretrained(base, dir)} reads it:
 *
 * <pre>
 *   adapter_config.json         peft_type LORA, r, lora_alpha, target_modules, base_model_name_or_path, bias "none", …
 *   adapter_model.safetensors   base_model.model.&lt;module path&gt;.lora_A.weight [r, in]
 *                               base_model.model.&lt;module path&gt;.lora_B.weight [out, r]
 * </pre>
 *
 * The tensor names are PEFT's {@code get_peft_model_state_dict}: the wrapped model's parameter names
 * ({@code base_model.model.} + the HF module path + {@code .lora_A.default.weight}) with the adapter name
 * {@code default} removed. Only what this project computes is accepted: plain LoRA (no DoRA, no rank-stabilised
 * scaling, no per-module rank or α patterns, no biases, no extra saved modules).
 */
public final class PeftAdapter {
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** What PEFT puts before a module path: the PeftModel's {@code base_model} (a LoraModel) and its {@code model}. */
    public static final String NAME_PREFIX = "base_model.model.";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapter() {}

    /** The adapter's shape and the base it was trained on, as {@code adapter_config.json} states them. */
    public record Config(LoraConfig lora, String baseModelNameOrPath) {}

    /** The PEFT name of an internal tensor name: {@code model.layers.0…lora_A.weight} → {@code base_model.model.model…}. */
    public static String peftName(String name) {
        return NAME_PREFIX + name;
    }

    /** The tensors of an adapter under PEFT's names, in {@link LoraWeights#specs} order. */
    public static List<Safetensors.Tensor> peftTensors(LoraWeights adapter) {
        List<Safetensors.Tensor> out = new ArrayList<>();
        for (Safetensors.Tensor t : adapter.toTensors()) {
            out.add(Safetensors.Tensor.f32(peftName(t.name()), t.shape(), t.data()));
        }
        return out;
    }

    /**
     * An adapter as one safetensors buffer to push to a replica: PEFT's tensor names, and the adapter's config in the
     * header's {@code __metadata__} ({@code peft_type} LORA, {@code r}, {@code lora_alpha}, {@code target_modules}
     * comma-separated, {@code format} pt), so that the body describes itself.
     */
    public static byte[] pushBody(LoraWeights adapter) {
        LoraConfig lora = adapter.config();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("peft_type", "LORA");
        metadata.put("r", Integer.toString(lora.rank()));
        metadata.put("lora_alpha", Double.toString(lora.alpha()));
        metadata.put("target_modules", String.join(",", lora.targets()));
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            Safetensors.write(out, peftTensors(adapter), metadata);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The adapter config a {@link #pushBody} carries in its metadata; the error names the key and its value. */
    public static LoraConfig pushConfig(Map<String, String> metadata) {
        if (!"LORA".equals(metadata.get("peft_type"))) {
            throw new InvalidModelException(
                    "__metadata__.peft_type is " + metadata.get("peft_type") + ", expected LORA");
        }
        int rank;
        double alpha;
        try {
            rank = Integer.parseInt(String.valueOf(metadata.get("r")));
        } catch (NumberFormatException e) {
            throw new InvalidModelException("__metadata__.r is " + metadata.get("r") + ", expected an integer");
        }
        try {
            alpha = Double.parseDouble(String.valueOf(metadata.get("lora_alpha")));
        } catch (NumberFormatException e) {
            throw new InvalidModelException(
                    "__metadata__.lora_alpha is " + metadata.get("lora_alpha") + ", expected a number");
        }
        String targets = metadata.get("target_modules");
        if (targets == null || targets.isBlank()) {
            throw new InvalidModelException("__metadata__.target_modules is missing");
        }
        LoraConfig lora = new LoraConfig(rank, alpha, List.of(targets.split(",")));
        List<String> problems = lora.problems(null);
        if (!problems.isEmpty()) {
            throw new InvalidModelException("__metadata__: " + String.join("; ", problems));
        }
        return lora;
    }

    /** {@code adapter_config.json} with the keys PEFT's {@code LoraConfig} writes. */
    public static ObjectNode configJson(LoraConfig lora, String baseModelNameOrPath) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", baseModelNameOrPath);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layer_replication");
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        n.put("lora_alpha", lora.alpha());
        n.put("lora_dropout", 0.0);
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", lora.rank());
        n.putObject("rank_pattern");
        n.putNull("revision");
        var targets = n.putArray("target_modules");
        lora.targets().stream().sorted().forEach(targets::add);
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", false);
        return n;
    }

    /** Writes the two files into {@code dir} (created if missing), each written whole and then renamed. */
    public static void write(Path dir, LoraWeights adapter, String baseModelNameOrPath) {
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".adapter-config", ".tmp");
            JSON.writerWithDefaultPrettyPrinter()
                    .writeValue(tmp.toFile(), configJson(adapter.config(), baseModelNameOrPath));
            Files.move(tmp, dir.resolve(CONFIG_FILE), StandardCopyOption.REPLACE_EXISTING);
            tmp = Files.createTempFile(dir, ".adapter-weights", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                Safetensors.write(out, peftTensors(adapter), Map.of("format", "pt"));
            }
            Files.move(tmp, dir.resolve(WEIGHTS_FILE), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the adapter to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Reads and checks {@code adapter_config.json}; the error names the key and its value. */
    public static Config readConfig(Path dir) {
        Path file = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw new InvalidModelException("adapter directory " + dir + " has no " + CONFIG_FILE);
        }
        JsonNode n;
        try {
            n = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new InvalidModelException(
                    file + " is not valid JSON (" + e.getClass().getSimpleName() + ")", e);
        }
        return parseConfig(n, file.toString());
    }

    /** The checks of {@link #readConfig} on a parsed {@code adapter_config.json}; {@code source} names it in errors. */
    public static Config parseConfig(JsonNode n, String source) {
        List<String> problems = new ArrayList<>();
        if (!n.isObject()) {
            throw new InvalidModelException(source + ": not a JSON object");
        }
        if (!"LORA".equals(n.path("peft_type").asText(null))) {
            problems.add("peft_type is " + n.path("peft_type") + ", expected \"LORA\"");
        }
        if (!n.path("r").isInt()) {
            problems.add("r is " + n.path("r") + ", expected an integer");
        }
        if (!n.path("lora_alpha").isNumber()) {
            problems.add("lora_alpha is " + n.path("lora_alpha") + ", expected a number");
        }
        List<String> targets = new ArrayList<>();
        JsonNode t = n.path("target_modules");
        if (t.isArray() && !t.isEmpty()) {
            t.forEach(x -> targets.add(x.asText()));
        } else {
            problems.add("target_modules is " + t + ", expected a non-empty list of module names");
        }
        for (String flag : List.of("use_dora", "use_rslora", "fan_in_fan_out")) {
            if (n.path(flag).asBoolean(false)) {
                problems.add(flag + " is true (not supported)");
            }
        }
        if (n.has("bias") && !"none".equals(n.path("bias").asText())) {
            problems.add("bias is " + n.path("bias") + ", only \"none\" is supported");
        }
        for (String pattern : List.of("rank_pattern", "alpha_pattern")) {
            if (n.hasNonNull(pattern) && !n.path(pattern).isEmpty()) {
                problems.add(pattern + " is " + n.path(pattern) + " (per-module ranks and α are not supported)");
            }
        }
        for (String unsupported : List.of("layers_to_transform", "modules_to_save", "layer_replication")) {
            if (n.hasNonNull(unsupported)
                    && !(n.path(unsupported).isArray() && n.path(unsupported).isEmpty())) {
                problems.add(unsupported + " is " + n.path(unsupported) + " (not supported)");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidModelException(source + ": " + String.join("; ", problems));
        }
        LoraConfig lora = new LoraConfig(n.get("r").asInt(), n.get("lora_alpha").asDouble(), targets);
        List<String> own = lora.problems(null);
        if (!own.isEmpty()) {
            throw new InvalidModelException(source + ": " + String.join("; ", own));
        }
        return new Config(lora, n.path("base_model_name_or_path").asText(""));
    }

    /**
     * Reads an adapter directory for a base model of shape {@code model}: the config checked, every tensor named as
     * PEFT names it, with the shape the base needs, finite ({@link LoraWeights#fromTensors}).
     */
    public static LoraWeights read(Path dir, ModelConfig model, NDManager parent) {
        Config config = readConfig(dir);
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new InvalidModelException("adapter directory " + dir + " has no " + WEIGHTS_FILE);
        }
        return fromPeftTensors(model, config.lora(), Safetensors.read(weights), parent);
    }

    /** Builds an adapter from tensors under PEFT's names; a name without PEFT's prefix is refused, naming it. */
    public static LoraWeights fromPeftTensors(
            ModelConfig model, LoraConfig lora, Map<String, Safetensors.Tensor> peft, NDManager parent) {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Safetensors.Tensor> e : peft.entrySet()) {
            if (!e.getKey().startsWith(NAME_PREFIX)) {
                throw new InvalidModelException(
                        "adapter tensor " + e.getKey() + " does not start with PEFT's prefix " + NAME_PREFIX);
            }
            String name = e.getKey().substring(NAME_PREFIX.length());
            Safetensors.Tensor t = e.getValue();
            tensors.put(name, new Safetensors.Tensor(name, t.dtype(), t.shape(), t.data()));
        }
        return LoraWeights.fromTensors(model, lora, tensors, parent);
    }
}
