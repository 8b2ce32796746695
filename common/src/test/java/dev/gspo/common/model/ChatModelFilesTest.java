package dev.gspo.common.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.chat.ChatMessage;
import dev.gspo.common.testing.Qwen3Tokenizer;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A chat model's tokenizer files travel with it: loaded, saved, checkpointed and verified. */
class ChatModelFilesTest {

    @Test
    void aModelDirectoryWithTokenizerConfigHasItsChatTemplateAndSavesEveryTokenizerFile(@TempDir Path tmp)
            throws Exception {
        Path source = tmp.resolve("source");
        TestModels.writeQwen3Chat(source, 16, 1);
        Files.writeString(source.resolve("special_tokens_map.json"), "{\"eos_token\": \"<|im_end|>\"}");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(source, manager)) {
            assertThat(model.chatTemplate()).isPresent();
            assertThat(model.chatTemplate().get().render(List.of(ChatMessage.user("hi")), true))
                    .isEqualTo("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");

            Path saved = tmp.resolve("saved");
            model.save(saved);

            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
                assertThat(saved.resolve(f)).hasSameBinaryContentAs(source.resolve(f));
            }
            try (PolicyModel loaded = PolicyModel.load(saved, manager)) {
                assertThat(loaded.chatTemplate().map(t -> t.source()))
                        .isEqualTo(model.chatTemplate().map(t -> t.source()));
                loaded.tokenizer().close();
            }
            model.tokenizer().close();
        }
    }

    @Test
    void aCheckpointKeepsTheTokenizerConfigAndRefusesItCorrupted(@TempDir Path tmp) throws Exception {
        Path source = tmp.resolve("source");
        TestModels.writeQwen3Chat(source, 16, 2);
        Path checkpoint = tmp.resolve("checkpoint");
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = PolicyModel.load(source, manager);
                AdamW adam = new AdamW(model.weights().byName(), AdamW.Hyper.defaults(), manager)) {
            Checkpoint.write(checkpoint, model, adam, new TrainerState("run", 1, 1, 0, 1, null, null));
            model.tokenizer().close();
        }
        assertThat(checkpoint.resolve("tokenizer_config.json"))
                .hasSameBinaryContentAs(source.resolve("tokenizer_config.json"));
        assertThat(Checkpoint.read(checkpoint).files()).containsKey("tokenizer_config.json");

        Files.writeString(checkpoint.resolve("tokenizer_config.json"), "{}");

        assertThatThrownBy(() -> Checkpoint.read(checkpoint))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("tokenizer_config.json is corrupted");
    }

    @Test
    void withoutAnEosInConfigJsonTheTokenizerConfigsEosTokenIsTheEos(@TempDir Path tmp) throws Exception {
        Qwen3Tokenizer.copyInto(tmp);
        try (PolicyTokenizer tokenizer = PolicyTokenizer.load(tmp)) {
            assertThat(tokenizer.eosTokenId()).isEqualTo(151645); // <|im_end|>, not <|endoftext|> 151643
            assertThat(tokenizer.vocabSize()).isEqualTo(Qwen3Tokenizer.BPE_TOKENS + Qwen3Tokenizer.ADDED_TOKENS);
        }
    }

    @Test
    void aBuiltinModelHasNoChatTemplate(@TempDir Path tmp) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = BuiltinModel.create("builtin", tmp, 1, manager)) {
            assertThat(model.chatTemplate()).isEmpty();
            assertThat(PolicyModel.chatTemplate(tmp)).isEmpty();
            model.tokenizer().close();
        }
    }
}
