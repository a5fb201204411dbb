// The bridge to real RL trainers: datasets for verl and TRL and transcripts back in (the reward's Python module is
// python/asp_reward.py, which `asp export` copies beside the reward spec).
export { renderTranscript, replayTranscript, splitTranscript } from './transcript';
export { verlRow, trlRow } from './dataset';
