package dev.gspo.rollout.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import dev.gspo.common.model.BuiltinModel;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.tokenizer.BuiltinVocabulary;
import dev.gspo.common.tokenizer.PolicyTokenizer;
import dev.gspo.common.wire.PromptInput;
import dev.gspo.common.wire.RolloutRequest;
import dev.gspo.common.wire.SamplingSpec;
import dev.gspo.rollout.support.TestProperties;
import dev.gspo.rollout.validation.InvalidRequestException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** A prompt text that cannot fit the positions is refused before the tokenizer ever sees it. */
class RolloutPlannerTest {
    private final PolicyTokenizer tokenizer = mock(PolicyTokenizer.class);
    private final PolicyModel model = mock(PolicyModel.class);
    private final RolloutPlanner planner =
            new RolloutPlanner(TestProperties.of(), PromptTextLimit.of(BuiltinVocabulary.tokenizerJson()));

    RolloutPlannerTest() {
        when(model.config()).thenReturn(BuiltinModel.config()); // 64 positions
        when(model.tokenizer()).thenReturn(tokenizer);
        when(tokenizer.encode(anyString())).thenAnswer(i -> new int[((String) i.getArgument(0)).length()]);
    }

    @Test
    void refusesATextTooLongForThePositionsWithoutTokenisingIt() {
        // 64 positions − 16 new tokens = 48 prompt tokens, at most 5 characters each
        String text = "1".repeat(241);

        assertThatThrownBy(() -> planner.plan(request(text, 16), model))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT);
                    assertThat(e.violations()).singleElement().satisfies(v -> {
                        assertThat(v.field()).isEqualTo("prompts[0].text");
                        assertThat(v.message())
                                .contains("241 characters", "max_position_embeddings 64", "at most 240 characters");
                    });
                });
        verify(tokenizer, never()).encode(anyString());
    }

    @Test
    void tokenisesATextThatMayFitAndChecksItsTokens() {
        assertThatThrownBy(() -> planner.plan(request("1".repeat(240), 16), model))
                .isInstanceOfSatisfying(
                        InvalidRequestException.class,
                        e -> assertThat(e.violations().getFirst().message()).contains("prompt length 240"));
        verify(tokenizer).encode("1".repeat(240));

        assertThat(planner.plan(request("1".repeat(48), 16), model).prompts())
                .singleElement()
                .satisfies(p -> assertThat(p.tokenIds()).hasSize(48));
    }

    @Test
    void anOutOfRangeMaxNewTokensStillKeepsHugeTextsFromTheTokenizer() {
        assertThatThrownBy(() -> planner.plan(request("1".repeat(1_000_000), 0), model))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                    assertThat(e.violations())
                            .extracting(v -> v.field())
                            .containsExactly("sampling.maxNewTokens", "prompts[0].text");
                });
        verify(tokenizer, never()).encode(anyString());
    }

    @Test
    void refusesAPromptLongerThanTheConfiguredContextNamingTheKey() {
        RolloutPlanner bounded = new RolloutPlanner(
                TestProperties.of("max-context-tokens", "32"), PromptTextLimit.of(BuiltinVocabulary.tokenizerJson()));

        assertThatThrownBy(() -> bounded.plan(request("1".repeat(20), 16), model))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                    assertThat(e.violations()).singleElement().satisfies(v -> {
                        assertThat(v.field()).isEqualTo("prompts[0]");
                        assertThat(v.message())
                                .isEqualTo("prompt length 20 + maxNewTokens 16 = 36 exceeds the limit 32"
                                        + " (gspo.rollout.max-context-tokens)");
                    });
                });
        assertThat(bounded.plan(request("1".repeat(16), 16), model).prompts()).hasSize(1);
    }

    private static RolloutRequest request(String text, int maxNewTokens) {
        return new RolloutRequest(List.of(PromptInput.text("p", text)), 1, SamplingSpec.of(maxNewTokens, 1.0, 1), null);
    }
}
