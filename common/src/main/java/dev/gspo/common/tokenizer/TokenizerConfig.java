package dev.gspo.common.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a model directory's {@code tokenizer_config.json} (and {@code chat_template.jinja}, where present) says beyond
 * {@code tokenizer.json}: the chat template and the special tokens a template may use.
 *
 * <p>Only these fields are read. The file's other settings (clean-up of tokenization spaces, prefix space, lower
 * casing) are deliberately not applied: {@link PolicyTokenizer} explains why.
 *
 * <p>Where the template comes from, as in transformers: {@code chat_template.jinja} beside the file if present, else
 * {@code "chat_template"} in {@code tokenizer_config.json}, either a string or a list of {@code {"name", "template"}}
 * of which the one named {@code default} is used.
 *
 * @param chatTemplate  the Jinja source of the chat template, if the model has one
 * @param specialTokens those of {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code unk_token} (strings)
 *                      and {@code additional_special_tokens} (a list of strings) that the file sets: what
 *                      transformers passes to a chat template besides the messages (an unset token is undefined
 *                      in the template, as there)
 */
public record TokenizerConfig(Optional<String> chatTemplate, Map<String, Object> specialTokens) {
    public static final String FILE_NAME = "tokenizer_config.json";
    public static final String TEMPLATE_FILE_NAME = "chat_template.jinja";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TOKEN_FIELDS = List.of("bos_token", "eos_token", "pad_token", "unk_token");

    public TokenizerConfig {
        chatTemplate = chatTemplate.filter(t -> !t.isBlank());
        specialTokens = Map.copyOf(specialTokens);
    }

    /** A config with neither template nor special tokens (a directory without {@code tokenizer_config.json}). */
    public static TokenizerConfig none() {
        return new TokenizerConfig(Optional.empty(), Map.of());
    }

    /**
     * Reads the config of a model directory; a directory without either file has {@link #none()}.
     *
     * @throws IOException if a file exists but is not valid JSON, or a field has an unexpected type
     */
    public static TokenizerConfig read(Path modelDir) throws IOException {
        Path file = modelDir.resolve(FILE_NAME);
        Path templateFile = modelDir.resolve(TEMPLATE_FILE_NAME);
        JsonNode root = null;
        if (Files.isRegularFile(file)) {
            try {
                root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new IOException(file + " is not valid JSON: " + e.getMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new IOException(file + " is not a JSON object");
            }
        }
        Optional<String> template = Files.isRegularFile(templateFile)
                ? Optional.of(Files.readString(templateFile, StandardCharsets.UTF_8))
                : root == null ? Optional.empty() : template(root.get("chat_template"), file);
        Map<String, Object> tokens = new LinkedHashMap<>();
        if (root != null) {
            for (String field : TOKEN_FIELDS) {
                tokenText(root.get(field), field, file).ifPresent(text -> tokens.put(field, text));
            }
            JsonNode list = root.get("additional_special_tokens");
            if (list != null && list.isArray()) {
                List<String> additional = new ArrayList<>();
                for (JsonNode t : list) {
                    tokenText(t, "additional_special_tokens", file).ifPresent(additional::add);
                }
                tokens.put("additional_special_tokens", List.copyOf(additional));
            }
        }
        return new TokenizerConfig(template, tokens);
    }

    /** The eos token's text, if the config names one. */
    public Optional<String> eosToken() {
        return Optional.ofNullable((String) specialTokens.get("eos_token")).filter(s -> !s.isEmpty());
    }

    private static Optional<String> template(JsonNode node, Path file) throws IOException {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isArray()) {
            for (JsonNode named : node) {
                if ("default".equals(named.path("name").asText())
                        && named.path("template").isTextual()) {
                    return Optional.of(named.path("template").asText());
                }
            }
            return Optional.empty();
        }
        throw new IOException(file + ": \"chat_template\" must be a string or a list of {name, template}");
    }

    /** A token is written either as its text or, as transformers serialises an AddedToken, as {"content": …}. */
    private static Optional<String> tokenText(JsonNode node, String field, Path file) throws IOException {
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        if (node.isObject() && node.path("content").isTextual()) {
            return Optional.of(node.path("content").asText());
        }
        throw new IOException(file + ": \"" + field + "\" must be a string or an object with \"content\"");
    }
}
