package dev.gspo.common.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gspo.common.model.ExpertRouting;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpertChoicesTest {
    // input lengths |x| + |y| − 1: 3 and 2; recorded in one batch of width 3, k = 2
    private static final List<PolicySample> SAMPLES = List.of(
            new PolicySample(new int[] {1, 4}, new int[] {5, 6}, new float[] {-1f, -1f}, 1.0, 1f),
            new PolicySample(new int[] {1}, new int[] {7, 8}, new float[] {-1f, -1f}, -1.0, 1f));
    private static final int[] OLD = {
        0, 1, 2, 3, 1, 2, // sample 0, positions 0..2
        3, 0, 1, 2, 9, 9
    }; // sample 1, positions 0..1, then padding (never recorded)

    @Test
    void replayGivesEachSampleItsOwnRecordedExpertsInAnyMinibatchLayoutAndLeavesPaddingFree() {
        ExpertChoices choices = recorded();
        // minibatch [sample 1, sample 0] padded to width 4: the router now picks 0,1 everywhere
        int[] fresh = new int[2 * 4 * 2];
        for (int i = 0; i < fresh.length; i += 2) {
            fresh[i] = 0;
            fresh[i + 1] = 1;
        }
        int[] used = choices.replay(List.of(1, 0), 4).route(5, fresh, 8, 2);
        assertThat(used)
                .containsExactly(
                        3, 0, 1, 2, 0, 1, 0, 1, // sample 1: two recorded positions, then free padding
                        0, 1, 2, 3, 1, 2, 0, 1); // sample 0: three recorded positions, then free padding
        // changed sets: sample 1 {0,3}→{0,1} yes, {1,2}→{0,1} yes; sample 0 {0,1} no, {2,3} yes, {1,2} yes
        assertThat(choices.takeChangeShare()).isEqualTo(4 / 5.0);
        assertThat(choices.takeChangeShare()).as("reset after taking").isNaN();
    }

    @Test
    void observingRoutesFreelyAndCountsAChangeOnlyWhenTheSetDiffers() {
        ExpertChoices choices = recorded();
        int[] fresh = {1, 0, 3, 2, 2, 1}; // sample 0 alone, width 3: the same sets in another order
        assertThat(choices.observe(List.of(0), 3).route(5, fresh, 3, 2)).isSameAs(fresh);
        assertThat(choices.takeChangeShare()).isZero();
    }

    @Test
    void recordingInChunksOfRowsKeepsTheSameChoicesAsOneForwardOverEveryRow() {
        ExpertChoices chunked = new ExpertChoices(SAMPLES);
        // sample 1 alone (width 2), then sample 0 alone (width 3), as the trainer's chunked π_old forward does
        chunked.recorder(List.of(1), 2).route(5, new int[] {3, 0, 1, 2}, 2, 2);
        chunked.recorder(List.of(0), 3).route(5, new int[] {0, 1, 2, 3, 1, 2}, 3, 2);
        int[] fresh = new int[2 * 4 * 2];
        int[] fromChunks = chunked.replay(List.of(1, 0), 4).route(5, fresh, 8, 2);
        assertThat(fromChunks)
                .containsExactly(recorded().replay(List.of(1, 0), 4).route(5, fresh, 8, 2));
        assertThat(fromChunks).containsExactly(3, 0, 1, 2, 0, 0, 0, 0, 0, 1, 2, 3, 1, 2, 0, 0);
    }

    private static ExpertChoices recorded() {
        ExpertChoices choices = new ExpertChoices(SAMPLES);
        ExpertRouting recorder = choices.recorder(List.of(0, 1), 3);
        assertThat(recorder.route(5, OLD, 6, 2)).isSameAs(OLD);
        return choices;
    }
}
