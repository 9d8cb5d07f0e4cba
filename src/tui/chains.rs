//! The Chains view's moves: open it at the selected finding's chain, a chain to its findings,
//! a finding to its row in the table; back up a level at a time.

use super::state::{ChainsView, Overlay, State};

/// The rows the view lists: chains, or the open chain's findings.
pub fn open_rows(state: &State) -> usize {
    match &state.overlay {
        Overlay::Chains(view) => match view.open {
            None => state.chains.len(),
            Some(c) => state.chains.get(c).map_or(0, |c| c.findings.len()),
        },
        _ => 0,
    }
}

/// `C`: the view at the selected finding's first chain (user chains come first), on that
/// finding; else where the analyst left it, else the list.
pub fn open(state: &mut State) {
    let finding = state.visible.get(state.selected).copied();
    let at = finding.and_then(|row| {
        state.chains.iter().enumerate().find_map(|(c, chain)| {
            let member = chain.findings.iter().position(|&r| r == row)?;
            Some((c, member))
        })
    });
    let view = match at {
        Some((chain, member)) => ChainsView {
            open: Some(chain),
            selected: member,
            above: chain,
        },
        None => {
            if finding.is_some() && !state.chains.is_empty() {
                state.message =
                    Some("the selected finding is in no chain: all chains listed".into());
            }
            state.chains_left.take().unwrap_or(ChainsView {
                open: None,
                selected: 0,
                above: 0,
            })
        }
    };
    state.overlay = Overlay::Chains(view);
}

/// Enter: a chain to its findings, a finding to its row in the findings table.
pub fn select(state: &mut State) {
    let Overlay::Chains(view) = &state.overlay else {
        return;
    };
    let mut view = view.clone();
    match view.open {
        None => {
            if view.selected < state.chains.len() {
                view.above = view.selected;
                view.open = Some(view.selected);
                view.selected = 0;
                state.overlay = Overlay::Chains(view);
            }
        }
        Some(c) => {
            let Some(&row) = state
                .chains
                .get(c)
                .and_then(|ch| ch.findings.get(view.selected))
            else {
                return;
            };
            match state.select_finding(row) {
                Ok(()) => {
                    // `C` comes back here.
                    state.chains_left = Some(view);
                    state.overlay = Overlay::None;
                }
                Err(why) => state.message = Some(why),
            }
        }
    }
}

/// Esc: from a chain's findings to the list; closes the view from the list.
pub fn back(state: &mut State) {
    let Overlay::Chains(view) = &mut state.overlay else {
        return;
    };
    match view.open {
        Some(_) => {
            view.open = None;
            view.selected = view.above;
        }
        None => state.overlay = Overlay::None,
    }
}
