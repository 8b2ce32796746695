package dev.gspo.common.reward;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.gspo.common.task.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code {"fn": "choice"}}: the multiple-choice letter the response picks is the answer's ({@link ChoiceReward}).
 *
 * @param letters the option letters, 1 to 26 distinct upper-case letters (default {@value ChoiceReward#DEFAULT_LETTERS})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChoiceRewardSpec(String name, Double weight, String letters) implements LocalRewardSpec {
    public static final String FN = "choice";

    @Override
    public String fn() {
        return FN;
    }

    @Override
    public ChoiceRewardSpec withDefaults(int maxNewTokens) {
        return new ChoiceRewardSpec(
                RewardChecks.or(name, FN),
                RewardChecks.or(weight, 1.0),
                RewardChecks.or(letters, ChoiceReward.DEFAULT_LETTERS));
    }

    @Override
    public List<String> problems(String path) {
        List<String> p = new ArrayList<>();
        if (letters != null
                && (letters.isEmpty()
                        || letters.length() > 26
                        || !letters.chars().allMatch(c -> c >= 'A' && c <= 'Z')
                        || letters.chars().distinct().count() != letters.length())) {
            p.add(path + ".letters: must be 1 to 26 distinct upper-case letters A-Z, got '" + letters + "'");
        }
        return p;
    }

    @Override
    public ChoiceReward create(Task task) {
        RewardChecks.requireValid(this);
        return new ChoiceReward(RewardChecks.or(letters, ChoiceReward.DEFAULT_LETTERS));
    }
}
