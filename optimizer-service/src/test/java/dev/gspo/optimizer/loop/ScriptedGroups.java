package dev.gspo.optimizer.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.decode.Completion;
import dev.gspo.common.decode.FinishReason;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scripted rollouts of the addition task for loop tests: for a prompt {@code a+b=}, an even sum gets G right answers
 * of 5 tokens (a group without signal), an odd sum right and wrong answers of 2 tokens in turn (a group with signal).
 */
final class ScriptedGroups {
    private static final Pattern SUM = Pattern.compile("(\\d+)\\+(\\d+)=");

    private ScriptedGroups() {}

    static RolloutBatch evenSumsAllRightOddSumsMixed(List<String> prompts, int groupSize, long version) {
        List<RolloutBatch.Group> groups = new ArrayList<>();
        for (String prompt : prompts) {
            Matcher m = SUM.matcher(prompt);
            assertThat(m.find()).as(prompt).isTrue();
            int sum = Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2));
            List<Completion> samples = new ArrayList<>();
            for (int j = 0; j < groupSize; j++) {
                samples.add(
                        sum % 2 == 0
                                ? new Completion(new int[] {1, 2, 3, 4, 5}, sum + "\n", new float[5], FinishReason.STOP)
                                : new Completion(
                                        new int[] {1, 2},
                                        (j % 2 == 0 ? sum : sum + 1) + "\n",
                                        new float[2],
                                        FinishReason.STOP));
            }
            groups.add(new RolloutBatch.Group(new int[] {6, 7, 8}, version, samples));
        }
        return new RolloutBatch(version, groups);
    }
}
