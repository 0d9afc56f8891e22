import { describe, expect, it } from 'vitest';
import { AppError } from '@rowline/kit';
import { assertMove, canMove, isTerminal, sourcesOf, STATUSES, type Status } from '../src/domain/state-machine.js';

/** The lifecycle of DESIGN.md, written out once more by hand so that a change to the table is a visible decision. */
const LEGAL: Array<[Status, Status]> = [
  ['PENDING', 'QUEUED'], ['PENDING', 'RUNNING'], ['PENDING', 'CANCELLED'],
  ['QUEUED', 'RUNNING'], ['QUEUED', 'CANCELLED'], ['QUEUED', 'TIMED_OUT'],
  ['RUNNING', 'RUNNING'], ['RUNNING', 'QUEUED'], ['RUNNING', 'SUCCEEDED'], ['RUNNING', 'FAILED'],
  ['RUNNING', 'CANCELLED'], ['RUNNING', 'TIMED_OUT'],
];
const isLegal = (from: Status, to: Status) => LEGAL.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as [Status, Status]));
const TERMINAL: Status[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

describe('the execution state machine', () => {
  it.each(LEGAL)('allows %s -> %s', (from, to) => {
    expect(canMove(from, to)).toBe(true);
    expect(() => assertMove(from, to)).not.toThrow();
  });

  it.each(ALL_PAIRS.filter(([from, to]) => !isLegal(from, to)))('refuses %s -> %s with CONFLICT', (from, to) => {
    expect(canMove(from, to)).toBe(false);
    let thrown: unknown;
    try { assertMove(from, to); } catch (err) { thrown = err; }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).code).toBe('CONFLICT');
    expect((thrown as AppError).message).toContain(`${from} to ${to}`);
  });

  it.each(TERMINAL)('gives the terminal status %s no way out, not even to itself', (status) => {
    expect(isTerminal(status)).toBe(true);
    expect(STATUSES.filter((to) => canMove(status, to))).toEqual([]);
  });

  it('treats PENDING, QUEUED and RUNNING as the only live statuses', () => {
    expect(STATUSES.filter((s) => !isTerminal(s))).toEqual(['PENDING', 'QUEUED', 'RUNNING']);
  });

  it('never lets a run leave a terminal status or go back to PENDING', () => {
    for (const to of STATUSES) {
      for (const from of sourcesOf(to)) expect(TERMINAL).not.toContain(from);
    }
    expect(sourcesOf('PENDING')).toEqual([]);
  });

  it.each(STATUSES)('answers as the WHERE of a move to %s exactly the statuses that may precede it', (to) => {
    expect(sourcesOf(to)).toEqual(STATUSES.filter((from) => isLegal(from, to)));
  });
});
