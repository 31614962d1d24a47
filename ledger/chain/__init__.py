"""Chain layer: devnet, JSON-RPC, keystores, transaction sending, ABI and Merkle machinery.

Submodules are imported on demand (`from ledger.chain.rpc import Rpc`) so that importing the
package stays cheap.
"""
