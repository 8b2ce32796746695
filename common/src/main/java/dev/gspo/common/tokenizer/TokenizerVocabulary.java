package dev.gspo.common.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gspo.common.json.JsonPosition;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The token ↔ id table of a {@code tokenizer.json}, read with Jackson.
 *
 * <p>Why this exists: DJL's {@code HuggingFaceTokenizer} exposes encode/decode only, with no
 * vocabulary size and no token → id lookup, and the model needs both (LM head width, eos/pad
 * ids). Reads {@code model.vocab} (an object for WordLevel/BPE/WordPiece, a list of
 * {@code [piece, score]} pairs for Unigram, where the id is the index) and {@code added_tokens}
 * (which win over the model vocabulary for the same string, as in Hugging Face).
 *
 * @param tokenToId every token string (as written in the file, e.g. {@code "Ġthe"} for
 *                  byte-level BPE) to its id
 * @param idToToken the inverse
 * @param size      max id + 1
 */
record TokenizerVocabulary(Map<String, Integer> tokenToId, Map<Integer, String> idToToken, int size) {

    static TokenizerVocabulary parse(String tokenizerJson) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson);
        } catch (JsonProcessingException e) {
            throw new IOException("tokenizer.json is not valid JSON" + JsonPosition.of(e));
        }
        if (root == null || !root.isObject()) {
            throw new IOException("tokenizer.json is not a JSON object");
        }
        Map<String, Integer> tokenToId = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                tokenToId.put(e.getKey(), e.getValue().asInt());
            }
        } else if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                tokenToId.put(vocab.get(i).path(0).asText(), i);
            }
        } else {
            throw new IOException("tokenizer.json has no model.vocab (object or list)");
        }
        for (JsonNode added : root.path("added_tokens")) {
            tokenToId.put(added.path("content").asText(), added.path("id").asInt());
        }
        Map<Integer, String> idToToken = new HashMap<>();
        int max = -1;
        for (Map.Entry<String, Integer> e : tokenToId.entrySet()) {
            if (e.getValue() < 0) {
                throw new IOException("negative token id " + e.getValue() + " in tokenizer.json's vocabulary");
            }
            idToToken.put(e.getValue(), e.getKey());
            max = Math.max(max, e.getValue());
        }
        if (max < 0) {
            throw new IOException("tokenizer.json has an empty vocabulary");
        }
        return new TokenizerVocabulary(Map.copyOf(tokenToId), Map.copyOf(idToToken), max + 1);
    }

    OptionalInt id(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    Optional<String> token(int id) {
        return Optional.ofNullable(idToToken.get(id));
    }

    /** The id of the first of {@code candidates} that is in the vocabulary. */
    OptionalInt firstId(Iterable<String> candidates) {
        for (String candidate : candidates) {
            OptionalInt id = id(candidate);
            if (id.isPresent()) {
                return id;
            }
        }
        return OptionalInt.empty();
    }
}
