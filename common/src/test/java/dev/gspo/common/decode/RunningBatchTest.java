package dev.gspo.common.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.decode.RunningBatch.Admission;
import dev.gspo.common.decode.RunningBatch.Finished;
import dev.gspo.common.model.ModelConfig;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.model.RowDecodeStep;
import dev.gspo.common.model.SlotKvCache;
import dev.gspo.common.model.TestModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Continuous batching: rows join and leave a running batch between steps, each decoding as it would alone. */
class RunningBatchTest {
    private static final SamplingParams PARAMS = new SamplingParams(12, 1.0, 0.9, 8, List.of());

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama", "qwen2", "qwen3", "qwen3_moe"})
    void everyRowDecodesAsItWouldAloneWhateverJoinsOrLeavesBesideIt(String type) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, TestModels.config(type, 4, 2, false), 3)) {
            List<SequenceRequest> rows = List.of(
                    new SequenceRequest(new int[] {1, 7, 8, 9, 10, 11}, PARAMS, 1),
                    new SequenceRequest(new int[] {3}, new SamplingParams(3, 0.7, 1.0, 0, List.of()), 2),
                    new SequenceRequest(new int[] {1, 4, 5}, PARAMS, 99),
                    new SequenceRequest(new int[] {1, 4, 5}, PARAMS, 100),
                    new SequenceRequest(new int[] {6, 5, 4, 3, 2, 1, 12, 13}, PARAMS, 7),
                    new SequenceRequest(new int[] {9, 9}, new SamplingParams(12, 0.0, 1.0, 0, List.of()), 8));
            BatchGenerator alone = new BatchGenerator(model);
            List<Completion> expected = new ArrayList<>();
            for (SequenceRequest r : rows) {
                expected.add(alone.generate(List.of(r)).getFirst());
            }

            // 3 slots, 6 rows: two start, one more joins after two steps, the rest as slots free up
            Map<Integer, Completion> got = new HashMap<>();
            try (RunningBatch<Integer> batch = new RunningBatch<>(model, 3, 64, manager)) {
                collect(got, batch.admit(List.of(new Admission<>(0, rows.get(0)), new Admission<>(1, rows.get(1)))));
                collect(got, batch.step());
                collect(got, batch.step());
                int next = 2;
                while (got.size() < rows.size()) {
                    List<Admission<Integer>> join = new ArrayList<>();
                    while (next < rows.size() && join.size() < batch.freeSlots()) {
                        join.add(new Admission<>(next, rows.get(next)));
                        next++;
                    }
                    collect(got, batch.admit(join));
                    collect(got, batch.step());
                }
                assertThat(batch.admitted()).isEqualTo(rows.size());
                assertThat(batch.running()).isZero();
            }
            for (int i = 0; i < rows.size(); i++) {
                assertThat(got.get(i).tokenIds())
                        .as("row %d tokens", i)
                        .isEqualTo(expected.get(i).tokenIds());
                TwoPathAgreementTest.assertClose(
                        got.get(i).logprobs(), expected.get(i).logprobs(), 1e-5);
                assertThat(got.get(i).finishReason()).isEqualTo(expected.get(i).finishReason());
                assertThat(got.get(i).text()).isEqualTo(expected.get(i).text());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"llama, true", "qwen2, true", "qwen3, true", "qwen3_moe, false"})
    void aBatchDownToOneLiveRowStepsItInJavaAsTheLibtorchPathAlone(String type, boolean javaApplies) {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(
                        manager, TestModels.config(type, 4, 2, false).withEosTokenIds(List.of()), 7)) {
            // greedy, so that both paths are compared on the same tokens; the short row leaves after 2 tokens and the
            // long one decodes its remaining 14 alone
            SequenceRequest shortRow =
                    new SequenceRequest(new int[] {1, 4}, new SamplingParams(2, 0.0, 1.0, 0, List.of()), 1);
            SequenceRequest longRow =
                    new SequenceRequest(new int[] {1, 5, 6}, new SamplingParams(16, 0.0, 1.0, 0, List.of()), 2);
            Completion expected = new BatchGenerator(model)
                    .withLibtorchSteps()
                    .generate(List.of(longRow))
                    .getFirst();

            Map<String, Completion> got = new HashMap<>();
            long javaStepsBefore = RowDecodeStep.stepsRun();
            try (RunningBatch<String> batch = new RunningBatch<>(model, 2, 32, manager)) {
                collect(
                        got,
                        batch.admit(List.of(new Admission<>("short", shortRow), new Admission<>("long", longRow))));
                while (batch.running() > 0) {
                    collect(got, batch.step());
                }
            }
            long javaSteps = RowDecodeStep.stepsRun() - javaStepsBefore;

            Completion alone = got.get("long");
            assertThat(alone.tokenIds()).isEqualTo(expected.tokenIds());
            TwoPathAgreementTest.assertClose(alone.logprobs(), expected.logprobs(), 1e-5);
            int onlyRowLeftSteps = alone.tokenIds().length - got.get("short").tokenIds().length;
            assertThat(onlyRowLeftSteps)
                    .as("the long row decodes alone for a while")
                    .isGreaterThan(4);
            assertThat(javaSteps)
                    .as("steps with one live row in Java (%s)", type)
                    .isEqualTo(javaApplies ? onlyRowLeftSteps : 0);
        }
    }

    @Test
    void aRowThatEndsFreesItsSlotAtOnceAndAQueuedRowTakesIt() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, noEos(), 5);
                RunningBatch<String> batch = new RunningBatch<>(model, 2, 32, manager)) {
            SequenceRequest shortRow = new SequenceRequest(new int[] {1, 4}, length(2), 1);
            SequenceRequest longRow = new SequenceRequest(new int[] {1, 5, 6}, length(10), 2);
            SequenceRequest queued = new SequenceRequest(new int[] {3, 3, 3, 3}, length(4), 3);

            assertThat(batch.admit(List.of(new Admission<>("short", shortRow), new Admission<>("long", longRow))))
                    .isEmpty();
            assertThat(batch.freeSlots()).isZero();
            long bytesWithTwoRows = batch.cacheBytes();

            List<Finished<String>> first = batch.step(); // the short row's 2nd and last token
            assertThat(first).extracting(Finished::tag).containsExactly("short");
            assertThat(batch.freeSlots()).isEqualTo(1);
            assertThat(batch.admit(List.of(new Admission<>("queued", queued)))).isEmpty();
            assertThat(batch.running()).isEqualTo(2);

            Map<String, Completion> done = new HashMap<>();
            done.put("short", first.getFirst().completion());
            while (batch.running() > 0) {
                batch.step().forEach(f -> done.put(f.tag(), f.completion()));
            }
            assertThat(batch.steps())
                    .as("the long row's 9 steps; the queued row ran beside it")
                    .isEqualTo(9);
            assertThat(batch.cacheBytes())
                    .as("the third row reused the freed slot: the cache never grew past two rows")
                    .isEqualTo(bytesWithTwoRows);
            assertThat(done.get("queued").tokenIds()).hasSize(4);
            assertThat(done.get("long").tokenIds()).hasSize(10);
            assertThat(done.get("queued").tokenIds())
                    .isEqualTo(new BatchGenerator(model)
                            .generate(List.of(queued))
                            .getFirst()
                            .tokenIds());
        }
    }

    @Test
    void refusesARowLongerThanItsContextNamingTheLengths() {
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, noEos(), 5);
                RunningBatch<String> batch = new RunningBatch<>(model, 2, 10, manager)) {
            SequenceRequest tooLong = new SequenceRequest(new int[] {1, 4, 5}, length(8), 1);

            assertThatThrownBy(() -> batch.admit(List.of(new Admission<>("x", tooLong))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("prompt length 3 + maxNewTokens 8 = 11 exceeds the running batch's context of 10"
                            + " positions");
            assertThat(batch.running()).isZero();
        }
    }

    @Test
    void neverHoldsMoreThanItsSlotsTimesItsContext() {
        ModelConfig config = noEos();
        try (NDManager manager = NDManager.newBaseManager();
                PolicyModel model = TestModels.random(manager, config, 5);
                RunningBatch<Integer> batch = new RunningBatch<>(model, 3, 20, manager)) {
            long bound = SlotKvCache.boundBytes(config, 3, 20);
            assertThat(bound).isEqualTo(3L * 20 * 2 * 2 * 2 * 8 * 4); // slots · context · layers · k,v · Hkv · hd · 4
            for (int i = 0; i < 10; i++) {
                List<Admission<Integer>> join = new ArrayList<>();
                for (int j = 0; j < batch.freeSlots(); j++) {
                    join.add(new Admission<>(i, new SequenceRequest(new int[] {1, 2 + j}, length(3 + 2 * j), i)));
                }
                batch.admit(join);
                batch.step();
                assertThat(batch.cacheBytes()).isLessThanOrEqualTo(bound);
            }
            assertThatThrownBy(() -> batch.admit(List.of(
                            new Admission<>(0, new SequenceRequest(new int[] {1}, length(2), 0)),
                            new Admission<>(1, new SequenceRequest(new int[] {1}, length(2), 0)),
                            new Admission<>(2, new SequenceRequest(new int[] {1}, length(2), 0)),
                            new Admission<>(3, new SequenceRequest(new int[] {1}, length(2), 0)))))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("slots are free");
        }
    }

    private static ModelConfig noEos() {
        return TestModels.config("llama", 4, 2, false).withEosTokenIds(List.of());
    }

    private static SamplingParams length(int n) {
        return new SamplingParams(n, 1.0, 1.0, 0, List.of());
    }

    private static <T> void collect(Map<T, Completion> into, List<Finished<T>> finished) {
        for (Finished<T> f : finished) {
            assertThat(into.put(f.tag(), f.completion()))
                    .as("row %s ended twice", f.tag())
                    .isNull();
        }
    }
}
