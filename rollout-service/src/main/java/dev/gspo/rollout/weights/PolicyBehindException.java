package dev.gspo.rollout.weights;

/** The request asks for a newer policy than this replica serves (409). */
public final class PolicyBehindException extends RuntimeException {
    private final long served;

    public PolicyBehindException(long required, long served) {
        super("minPolicyVersion " + required + " is ahead of the served policy version " + served);
        this.served = served;
    }

    public long served() {
        return served;
    }
}
