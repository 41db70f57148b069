"""The live dialing engine: claims due contacts, paces with the campaign's policy, originates over the
trunk through AMI, follows each call (answer, AMD, agent or safe-harbor) and settles its attempt.

- `claims`: the database side (atomic claims, settling attempts, recovering stale claims);
- `calls`: one placed call's state machine and the live `Observation` the pacing policy reads;
- `limits`: trunk channels and calls per second;
- `originate`: the AMI Originate action and the broadcast message's audio;
- `engine`: the asyncio loop in the API process (dialer/runtime.py starts it).
"""
