namespace PeerFlow.Sync;

/// <summary>What a receiver lets a sync sender do to its destination.</summary>
public enum SyncPolicy
{
    /// <summary>Replace changed files, and delete what the sender no longer has when it asks to.</summary>
    Allow,

    /// <summary>Replace changed files, never delete: a sender's deletion request is reported as refused.</summary>
    NoDelete,

    /// <summary>Refuse sync transfers (plain transfers are still accepted).</summary>
    Refuse,
}
