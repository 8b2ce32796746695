package dev.gspo.common.model;

/**
 * A safetensors buffer holding ±Infinity or NaN, found while the weights were copied out of it ({@link
 * PolicyWeights#fromSafetensors}): the message names the first offender, in the buffer's tensor order and then flat
 * index order, as {@code "tensor <name> holds a non-finite value (<value>) at flat index <i>"}.
 *
 * <p>When the copy was refilling the storage of a retired version, that storage comes back with the exception ({@link
 * #takeRetired}): still open and whole, its contents overwritten in part, for whoever catches it to keep for the next
 * fill or to close. Storage allocated for the copy has already been freed.
 */
public final class NonFiniteWeightsException extends InvalidModelException {
    private final String tensor;
    private final long index;
    /** The retired storage being refilled when the value was found, until someone takes it; null otherwise. */
    private transient PolicyWeights retired;

    NonFiniteWeightsException(String tensor, long index, float value, PolicyWeights retired) {
        super("tensor " + tensor + " holds a non-finite value (" + value + ") at flat index " + index);
        this.tensor = tensor;
        this.index = index;
        this.retired = retired;
    }

    /** The tensor holding the first non-finite value. */
    public String tensor() {
        return tensor;
    }

    /** Its flat index in that tensor. */
    public long index() {
        return index;
    }

    /**
     * The retired storage the copy was refilling, handed over to the caller (who must keep it for another fill or
     * close it), or null when the copy went to new storage or it was taken already.
     */
    public synchronized PolicyWeights takeRetired() {
        PolicyWeights out = retired;
        retired = null;
        return out;
    }
}
