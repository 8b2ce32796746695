package dev.gspo.optimizer.loop;

import ai.djl.ndarray.NDManager;
import dev.gspo.common.lora.PeftAdapter;
import dev.gspo.common.model.LoraWeights;
import dev.gspo.common.model.PolicyModel;
import dev.gspo.common.train.AdamW;
import dev.gspo.common.train.Checkpoint;
import dev.gspo.common.train.TrainerState;
import dev.gspo.optimizer.runconfig.RunConfig;
import java.nio.file.Path;

/**
 * The GSPO phase of a LoRA run ({@code "lora"} in the run config): the model after the warm start (or as loaded)
 * becomes the frozen base, adapters are attached over it, and AdamW holds the adapters' moments only.
 *
 * <ul>
 *   <li>A new run: adapters as PEFT initialises them (A random, B = 0, so the first publish equals the base), seeded
 *       from the run's seed. The base is kept where a resume can find it: the run folder's {@code lora-base/} when
 *       the warm start changed it, else the directory it was loaded from (the built-in model's {@code base-model/}, or
 *       {@code model.source}); its SHA-256 (of the weights as published) goes into every checkpoint.
 *   <li>A resume from a LoRA checkpoint: the caller has loaded and verified the base
 *       ({@link Checkpoint#loraBase}); the adapters and their moments come from the checkpoint.
 * </ul>
 *
 * Closing it frees the adapters and their optimizer; the base stays with its owner.
 */
final class LoraSession implements AutoCloseable {
    static final String BASE_DIR = "lora-base";

    private final PolicyModel model;
    private final AdamW adam;
    private final TrainerState.LoraBase base;

    private LoraSession(PolicyModel model, AdamW adam, TrainerState.LoraBase base) {
        this.model = model;
        this.adam = adam;
        this.base = base;
    }

    /**
     * @param base       the base model (owned by the caller)
     * @param warmed     whether the warm start changed the base's weights in this run
     * @param resume     the checkpoint to continue, or null (a full-weight checkpoint, written when the run was
     *                   stopped in its warm start, starts fresh adapters over its weights)
     */
    static LoraSession open(
            RunConfig config,
            PolicyModel base,
            boolean warmed,
            ResumePoint resume,
            Path runDir,
            AdamW.Hyper hyper,
            NDManager manager) {
        if (resume != null && resume.state().loraBase() != null) {
            PolicyModel adapted = base.withLora(Checkpoint.loraAdapters(resume.dir(), base.config(), manager));
            try {
                AdamW adam = AdamW.restore(
                        adapted.trainableParameters(),
                        hyper,
                        Checkpoint.optimizerState(resume.dir()),
                        resume.state().optimizerStep(),
                        manager);
                return new LoraSession(adapted, adam, resume.state().loraBase());
            } catch (RuntimeException e) {
                adapted.close();
                throw e;
            }
        }
        Path baseDir;
        if (warmed || resume != null) { // a full checkpoint (stopped in the warm start) may be pruned: keep a copy
            baseDir = runDir.resolve(BASE_DIR);
            base.save(baseDir);
        } else {
            baseDir = config.model().builtin()
                    ? runDir.resolve("base-model")
                    : Path.of(config.model().source());
        }
        String sha = PolicyModel.sha256(base.weightsAsSafetensors());
        PolicyModel adapted = base.withLora(LoraWeights.init(
                base.config(), config.lora().toLoraConfig(), config.seed() * 0x9E3779B97F4A7C15L + 0x10AAL, manager));
        return new LoraSession(
                adapted,
                new AdamW(adapted.trainableParameters(), hyper, manager),
                new TrainerState.LoraBase(baseDir.toAbsolutePath().toString(), sha));
    }

    private boolean basePublished;

    /** Whether the base still has to be published (as full weights) before adapters can be. */
    boolean needsBase() {
        return !basePublished;
    }

    /** Publishes the base as full weights (once per session: replicas keep it and merge each adapter into it). */
    PublishResult publishBase(PolicySink sink, long version) {
        Serialised base = Serialised.of(sink, model::weightsAsSafetensors);
        PublishResult r = sink.publish(version, base.bytes(), base.sha256());
        basePublished = true;
        return r;
    }

    /** Publishes the adapter only ({@code PeftAdapter#pushBody}): what replicas merge into the base they keep. */
    PublishResult publishAdapter(PolicySink sink, long version) {
        byte[] bytes = PeftAdapter.pushBody(model.lora().orElseThrow());
        return sink.publishAdapter(version, bytes, PolicyModel.sha256(bytes));
    }

    private boolean namedPublished;

    /**
     * Publishes the adapter under {@code name} ({@code PolicySink#publishNamedAdapter}): replicas serve it beside other
     * runs' adapters over the base they keep; one that serves other weights and no adapter gets the base first. The
     * first publish fails the run if the fleet serves another base with other adapters loaded.
     */
    PublishResult publishNamed(PolicySink sink, String name, long version) {
        byte[] bytes = PeftAdapter.pushBody(model.lora().orElseThrow());
        boolean first = !namedPublished;
        PublishResult r = sink.publishNamedAdapter(
                name,
                version,
                bytes,
                PolicyModel.sha256(bytes),
                new PolicySink.Base(base.sha256(), model::weightsAsSafetensors),
                first);
        namedPublished = true;
        return r;
    }

    /** Whether every B is zero (a fresh adapter: the model is the base). */
    boolean adapterIsZero() {
        try (ai.djl.ndarray.NDScope ignored = new ai.djl.ndarray.NDScope()) {
            for (var e : model.lora().orElseThrow().byName().entrySet()) {
                if (e.getKey().endsWith(LoraWeights.B_SUFFIX)
                        && e.getValue().abs().max().getFloat() != 0f) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The adapted model: its forward adds the adapters, its trainable parameters are the adapters. */
    PolicyModel model() {
        return model;
    }

    AdamW adam() {
        return adam;
    }

    /** What every checkpoint records of the base. */
    TrainerState.LoraBase base() {
        return base;
    }

    @Override
    public void close() {
        try {
            adam.close();
        } finally {
            model.close();
        }
    }
}
