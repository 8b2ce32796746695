package dev.gspo.rollout.batching;

/** The service is shutting down and no longer decodes (503). */
public final class DecoderStoppedException extends RuntimeException {
    public DecoderStoppedException() {
        super("the decoder is shutting down");
    }
}
