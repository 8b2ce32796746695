package dev.gspo.common.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import dev.gspo.common.task.AdditionTask;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RewardSpecTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static List<RewardSpec> read(String json) throws Exception {
        return JSON.readValue(json, new TypeReference<List<RewardSpec>>() {});
    }

    private static List<String> problems(String json) throws Exception {
        List<RewardSpec> withDefaults = new ArrayList<>();
        for (RewardSpec s : read(json)) {
            withDefaults.add(s == null ? null : s.withDefaults(16));
        }
        return RewardSpec.problems(withDefaults);
    }

    @Test
    void eachFunctionReadsAsItsOwnTypeAndWritesBackWithItsFn() throws Exception {
        List<RewardSpec> specs = read("""
                [{"fn":"math","weight":1.0},{"fn":"format","weight":0.2,"pattern":"<a>.*"},
                 {"fn":"regex","pattern":"x","score":0.5,"name":"cites"},{"fn":"choice","letters":"ABCD"},
                 {"fn":"exact","normalize":false},{"fn":"length","maxTokens":100,"cacheTokens":20},{"fn":"task"},
                 {"fn":"http","url":"http://127.0.0.1:8090/v1/score","tokenSecret":"grader","batchSize":8}]""");

        assertThat(specs)
                .containsExactly(
                        new MathRewardSpec(null, 1.0),
                        new FormatRewardSpec(null, 0.2, "<a>.*"),
                        new RegexRewardSpec("cites", null, "x", 0.5),
                        new ChoiceRewardSpec(null, null, "ABCD"),
                        new ExactRewardSpec(null, null, false),
                        new LengthRewardSpec(null, null, 100, 20),
                        new TaskRewardSpec(null, null),
                        new HttpRewardSpec(
                                null, null, "http://127.0.0.1:8090/v1/score", "grader", null, 8, null, null));
        String written = JSON.writeValueAsString(specs.get(2));
        assertThat(written).isEqualTo("{\"fn\":\"regex\",\"name\":\"cites\",\"pattern\":\"x\",\"score\":0.5}");
        assertThat(read("[" + written + "]")).containsExactly(specs.get(2));
    }

    @Test
    void missingParametersTakeTheirDocumentedDefaults() throws Exception {
        List<RewardSpec> specs = read("""
                [{"fn":"math"},{"fn":"length"},{"fn":"choice"},{"fn":"format"},{"fn":"exact"},{"fn":"regex","pattern":"x"},
                 {"fn":"http","url":"https://grader.internal/v1/score"}]""");
        List<RewardSpec> d = specs.stream().map(s -> s.withDefaults(50)).toList();

        assertThat(d.get(0)).isEqualTo(new MathRewardSpec("math", 1.0));
        assertThat(d.get(1))
                .as("L_max = maxNewTokens, L_cache = L_max / 5")
                .isEqualTo(new LengthRewardSpec("length", 1.0, 50, 10));
        assertThat(d.get(2)).isEqualTo(new ChoiceRewardSpec("choice", 1.0, "ABCDEFGHIJ"));
        assertThat(d.get(3)).isEqualTo(new FormatRewardSpec("format", 1.0, FormatReward.THINK_THEN_ANSWER));
        assertThat(d.get(4)).isEqualTo(new ExactRewardSpec("exact", 1.0, true));
        assertThat(d.get(5)).isEqualTo(new RegexRewardSpec("regex", 1.0, "x", 1.0));
        assertThat(d.get(6))
                .isEqualTo(new HttpRewardSpec("http", 1.0, "https://grader.internal/v1/score", null, 30.0, 64, 4, 3));
        assertThat(new LengthRewardSpec(null, null, null, null).withDefaults(3).cacheTokens())
                .isEqualTo(1);
        assertThat(RewardSpec.defaults()).containsExactly(new TaskRewardSpec("task", 1.0));
        assertThat(RewardSpec.problems(d)).isEmpty();
    }

    @Test
    void anUnknownFnIsRefusedByTheReader() {
        assertThatThrownBy(() -> read("[{\"fn\":\"bleu\"}]"))
                .isInstanceOf(InvalidTypeIdException.class)
                .hasMessageContaining("bleu");
    }

    @Test
    void aBadRegexIsAProblemNamingTheFieldTheErrorAndItsPosition() throws Exception {
        assertThat(problems("[{\"fn\":\"math\"},{\"fn\":\"regex\",\"pattern\":\"(unclosed\"}]"))
                .containsExactly("rewards[1].pattern: not a valid regular expression: Unclosed group at index 9");
        assertThat(problems("[{\"fn\":\"format\",\"pattern\":\"[a-\"}]"))
                .singleElement()
                .asString()
                .startsWith("rewards[0].pattern: not a valid regular expression: ");
        assertThat(problems("[{\"fn\":\"regex\"}]"))
                .containsExactly("rewards[0].pattern: required (a regular expression)");
    }

    @Test
    void weightsMustBeBoundedAndNotAllZero() throws Exception {
        assertThat(problems("[{\"fn\":\"math\",\"weight\":1000}]"))
                .containsExactly("rewards[0].weight: must be in [-100.0, 100.0], got 1000.0");
        assertThat(problems("[{\"fn\":\"math\",\"weight\":0},{\"fn\":\"format\",\"weight\":0}]"))
                .containsExactly("rewards: every weight is 0; at least one function must count towards the reward");
        assertThat(problems("[{\"fn\":\"math\"},{\"fn\":\"length\",\"weight\":-0.5}]"))
                .as("a negative weight is a penalty")
                .isEmpty();
        assertThat(problems("[{\"fn\":\"math\"},{\"fn\":\"format\",\"weight\":0}]"))
                .as("a zero weight reports a function without training on it")
                .isEmpty();
    }

    @Test
    void namesMustBeUniqueAndUsableAsMetricLabels() throws Exception {
        assertThat(problems("[{\"fn\":\"regex\",\"pattern\":\"a\"},{\"fn\":\"regex\",\"pattern\":\"b\"}]"))
                .containsExactly("rewards[1].name: 'regex' is already the name of rewards[0]; give each function its "
                        + "own \"name\"");
        assertThat(problems("[{\"fn\":\"math\",\"name\":\"my math\"}]"))
                .containsExactly("rewards[0].name: must be 1 to 64 letters, digits, '_' or '-', got 'my math'");
    }

    @Test
    void theListMustHoldOneToSixteenFunctions() throws Exception {
        assertThat(problems("[]")).singleElement().asString().startsWith("rewards: give at least one function");
        assertThat(problems("[" + "{\"fn\":\"math\"},".repeat(16) + "{\"fn\":\"math\"}]"))
                .contains("rewards: at most 16 functions, got 17");
        assertThat(problems("[null]"))
                .singleElement()
                .asString()
                .startsWith("rewards[0]: must be an object with \"fn\"");
    }

    @Test
    void everyParameterIsBounded() throws Exception {
        assertThat(problems("""
                [{"fn":"length","maxTokens":0},{"fn":"length","name":"l2","maxTokens":10,"cacheTokens":11},
                 {"fn":"choice","letters":"AAB"},{"fn":"choice","name":"c2","letters":"abc"},
                 {"fn":"regex","pattern":"x","score":1e9}]"""))
                .containsExactly(
                        "rewards[0].maxTokens: must be between 1 and 1000000, got 0",
                        "rewards[1].cacheTokens: 11 exceeds rewards[1].maxTokens 10",
                        "rewards[2].letters: must be 1 to 26 distinct upper-case letters A-Z, got 'AAB'",
                        "rewards[3].letters: must be 1 to 26 distinct upper-case letters A-Z, got 'abc'",
                        "rewards[4].score: must be in [-100.0, 100.0], got 1.0E9");
    }

    @Test
    void anHttpFunctionNeedsAUsableUrlAndBoundedClientSettings() throws Exception {
        assertThat(problems("""
                [{"fn":"http"},{"fn":"http","name":"h1","url":"ftp://x/y"},
                 {"fn":"http","name":"h2","url":"http://user:secret@host/score"},
                 {"fn":"http","name":"h3","url":"http://host/score","tokenSecret":"Bearer abc",
                  "timeoutSeconds":0,"batchSize":0,"maxConcurrency":65,"maxAttempts":11}]"""))
                .containsExactly(
                        "rewards[0].url: required: the reward server's endpoint, e.g. http://127.0.0.1:8090/v1/score",
                        "rewards[1].url: must be an http:// or https:// URL, got 'ftp://x/y'",
                        "rewards[2].url: must not carry credentials (user-info); name a token with tokenSecret",
                        "rewards[3].tokenSecret: the name of a secret (gspo.optimizer.reward.tokens.<name>), 1 to 64 "
                                + "lower-case letters and digits; the token itself never goes in the run config",
                        "rewards[3].timeoutSeconds: must be in (0, 600.0], got 0.0",
                        "rewards[3].batchSize: must be between 1 and 4096, got 0",
                        "rewards[3].maxConcurrency: must be between 1 and 64, got 65",
                        "rewards[3].maxAttempts: must be between 1 and 10, got 11");
    }

    @Test
    void theBuiltInSpecsBuildTheirFunctions() throws Exception {
        AdditionTask task = new AdditionTask(1, 1, 0);
        List<RewardSpec> specs = read("""
                [{"fn":"task"},{"fn":"exact"},{"fn":"math"},{"fn":"regex","pattern":"4"},{"fn":"choice"},
                 {"fn":"format"},{"fn":"length"}]""");
        List<Double> scores = new ArrayList<>();
        for (RewardSpec s : specs) {
            SampleReward f = ((LocalRewardSpec) s.withDefaults(8)).create(task);
            scores.add(f.score(new RewardInput("t", "2+2=", "4", "4", 2, java.util.Map.of())));
        }
        assertThat(scores).containsExactly(1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0);
        assertThatThrownBy(() -> new RegexRewardSpec("r", 1.0, "(", null).create(task))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pattern");
    }
}
