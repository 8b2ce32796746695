package dev.gspo.common.decode;

/** Why generation of a sequence ended; serialised in lower case on the wire. */
public enum FinishReason {
    /** an end-of-sequence token or a stop string was produced */
    STOP,
    /** maxNewTokens was reached */
    LENGTH;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
