package dev.gspo.common.decode;

/**
 * Why generation of a sequence ended; serialised in lower case on the wire ({@code eos | stop | length}).
 *
 * <p>{@link #EOS} and {@link #STOP} are responses that ended by themselves; {@link #LENGTH} is a truncated response,
 * cut at {@code maxNewTokens} (a run may mask those out of the loss: {@code objective.maskTruncated}).
 */
public enum FinishReason {
    /** the model's end-of-sequence token was produced (it is the last token id; the text stops before it) */
    EOS,
    /** one of the request's stop strings was produced (its tokens are the last ids; the text stops before it) */
    STOP,
    /** maxNewTokens was reached without an EOS or a stop string: the response is truncated */
    LENGTH;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The reason a wire name stands for.
     *
     * @throws IllegalArgumentException naming the value when it is none of {@code eos}, {@code stop}, {@code length}
     */
    public static FinishReason fromWire(String name) {
        if (name != null) {
            for (FinishReason r : values()) {
                if (r.wireName().equals(name)) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("finishReason must be eos, stop or length, got " + name);
    }

    /** True for a response cut at maxNewTokens. */
    public boolean truncated() {
        return this == LENGTH;
    }
}
